import type { CalendarConfig, Task, TaskChanges } from './types.js';
import { readRecord } from './validateFields.js';
import type { OptionKeys } from './validateOptions.js';
import { parseTask } from './validateTask.js';
import {
  type InputScope,
  invalid,
  PROTOTYPE_KEYS,
  prototypeKey,
  unknownKey,
} from './validationFailure.js';

/** Every key `updateTask` accepts, listed once against {@link TaskChanges}. */
const KEYS: OptionKeys<TaskChanges> = {
  title: true,
  description: true,
  link: true,
  startAt: true,
  recurrence: true,
  priority: true,
  preferredSlots: true,
  retry: true,
  pinnedTime: true,
  handler: true,
  timeoutMs: true,
  payload: true,
  maxConcurrent: true,
  calendar: true,
  jitterMs: true,
  paused: true,
  catchUp: true,
  overlap: true,
};

const KNOWN = Object.keys(KEYS);

/**
 * Checks the shape of `updateTask`'s changes: a plain object whose keys are task fields other
 * than `id` and `createdAt` (those identify the task and cannot change), `null` only for an
 * optional field (it removes it). The values themselves are checked by {@link applyTaskChanges},
 * with the same rules and messages as `defineTask`.
 * @throws ValidationError (`planflow:invalid-task`) naming the field.
 */
export function parseTaskChanges(input: unknown, taskId: string): TaskChanges {
  const scope: InputScope = {
    code: 'planflow:invalid-task',
    subject: `Task ${JSON.stringify(taskId.length > 60 ? `${taskId.slice(0, 60)}…` : taskId)}`,
    path: '',
  };
  const record = readRecord(input, scope, 'changes');
  for (const key in record) {
    if (PROTOTYPE_KEYS.has(key)) throw prototypeKey(scope, key);
    if (key === 'id' || key === 'createdAt') {
      throw invalid(
        scope,
        key,
        'left out of updateTask changes (a task keeps its id and creation time; define a new task to change them)',
        record[key],
      );
    }
    if (!Object.hasOwn(KEYS, key))
      throw unknownKey(scope, key, 'a field updateTask can change', KNOWN);
    if (record[key] === null && key === 'title') {
      throw invalid(scope, key, 'a non-blank string (a task always has a title)', null);
    }
  }
  return record as TaskChanges;
}

/**
 * The task `changes` turn `existing` into, validated as a whole by `parseTask` (so the
 * messages are `defineTask`'s). `retry` is merged field by field into the task's policy, and
 * `recurrence` into a recurrence of the same kind; every other field replaces the old value,
 * and `null` removes an optional field.
 * @throws ValidationError (`planflow:invalid-task`) naming the field.
 */
export function applyTaskChanges(
  existing: Task,
  changes: TaskChanges,
  calendar?: CalendarConfig,
  handlerNames?: readonly string[],
): Task {
  const valid = parseTaskChanges(changes, existing.id);
  const merged: Record<string, unknown> = { ...existing };
  for (const key of Object.keys(valid)) {
    const value = (valid as Readonly<Record<string, unknown>>)[key];
    if (value === undefined) continue;
    if (value === null) delete merged[key];
    else if (key === 'retry' && typeof value === 'object' && !Array.isArray(value)) {
      merged.retry = { ...existing.retry, ...value };
    } else if (key === 'catchUp' && typeof value === 'object' && !Array.isArray(value)) {
      merged.catchUp = mergeCatchUp(existing.catchUp, value as Readonly<Record<string, unknown>>);
    } else if (key === 'recurrence') {
      merged.recurrence = mergeRecurrence(existing.recurrence, value);
    } else merged[key] = value;
  }
  return parseTask(merged, calendar, undefined, handlerNames);
}

/**
 * A changed recurrence of the same kind keeps the fields it was not given (a new `cron`
 * keeps the `timeZone`, a new `everyMs` keeps the `anchor`); one of the other kind replaces
 * the old recurrence whole.
 */
function mergeRecurrence(existing: Task['recurrence'], change: unknown): unknown {
  if (existing === undefined || typeof change !== 'object' || change === null) return change;
  const given = change as Readonly<Record<string, unknown>>;
  const kind =
    given.kind ??
    ('cron' in given
      ? 'cron'
      : 'everyMs' in given
        ? 'interval'
        : 'rrule' in given
          ? 'rrule'
          : undefined);
  return kind === existing.kind ? { ...existing, ...given } : change;
}

/**
 * A changed catch-up policy keeps the fields it was not given (a new `windowMs` keeps the
 * policy), except `maxRuns`, which only policy `all` has: a move to another policy drops it.
 */
function mergeCatchUp(
  existing: Task['catchUp'],
  change: Readonly<Record<string, unknown>>,
): Readonly<Record<string, unknown>> {
  const merged: Record<string, unknown> = { policy: 'skip', ...existing, ...change };
  if (merged.policy !== 'all' && !('maxRuns' in change)) delete merged.maxRuns;
  return merged;
}
