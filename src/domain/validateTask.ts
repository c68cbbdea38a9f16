import { deepFreeze } from './deepFreeze.js';
import type { CalendarConfig, Priority, Task } from './types.js';
import {
  readChoice,
  readId,
  readInteger,
  readJsonObject,
  readRecord,
  readText,
  rejectUnknownKeys,
} from './validateFields.js';
import { readInstant } from './validateInstant.js';
import { readRecurrence } from './validateRecurrence.js';
import { DEFAULT_RETRY_POLICY, readRetryPolicy } from './validateRetryPolicy.js';
import { type InputScope, invalid } from './validationFailure.js';

const KEYS = [
  'id',
  'title',
  'description',
  'link',
  'createdAt',
  'startAt',
  'recurrence',
  'priority',
  'preferredSlots',
  'retry',
  'pinnedTime',
  'handler',
  'timeoutMs',
  'payload',
] as const;

/** Longest handler timeout: the largest delay a Node timer can wait in one go. */
const MAX_TIMEOUT_MS = 2_147_483_647;

type MutableTask = { -readonly [K in keyof Task]: Task[K] };

function taskScope(record: Readonly<Record<string, unknown>>): InputScope {
  const id = record.id;
  const named = typeof id === 'string' && id.length > 0 && id.length <= 60;
  return {
    code: 'planflow:invalid-task',
    subject: named ? `Task ${JSON.stringify(id)}` : 'Task',
    path: '',
  };
}

function readPreferredSlots(
  value: unknown,
  scope: InputScope,
  calendar: CalendarConfig | undefined,
): readonly string[] {
  if (!Array.isArray(value)) throw invalid(scope, 'preferredSlots', 'an array of slot ids', value);
  const known = calendar === undefined ? undefined : new Set(calendar.slots.map((s) => s.id));
  const ids = value.map((item: unknown, i) => {
    const id = readId(item, scope, `preferredSlots[${i}]`);
    if (known !== undefined && !known.has(id)) {
      const list = [...known].map((k) => `"${k}"`).join(', ') || 'none defined';
      throw invalid(
        scope,
        `preferredSlots[${i}]`,
        `a slot id of the calendar (known: ${list})`,
        id,
      );
    }
    return id;
  });
  if (new Set(ids).size !== ids.length) {
    throw invalid(scope, 'preferredSlots', 'a list without duplicate slot ids', ids);
  }
  return ids;
}

function readOptionalFields(
  record: Readonly<Record<string, unknown>>,
  scope: InputScope,
  task: MutableTask,
): void {
  if (record.description !== undefined) {
    if (typeof record.description !== 'string' || record.description.length > 10_000) {
      throw invalid(
        scope,
        'description',
        'a string of at most 10000 characters',
        record.description,
      );
    }
    task.description = record.description;
  }
  if (record.link !== undefined) task.link = readText(record.link, scope, 'link', 2000);
  if (record.startAt !== undefined) task.startAt = readInstant(record.startAt, scope, 'startAt');
  if (record.recurrence !== undefined) {
    task.recurrence = readRecurrence(record.recurrence, scope, 'recurrence');
  }
  if (record.pinnedTime !== undefined) {
    task.pinnedTime = readInstant(record.pinnedTime, scope, 'pinnedTime');
  }
  if (record.handler !== undefined) task.handler = readId(record.handler, scope, 'handler');
  if (record.timeoutMs !== undefined) {
    task.timeoutMs = readInteger(record.timeoutMs, scope, 'timeoutMs', 1, MAX_TIMEOUT_MS);
  }
  if (record.payload !== undefined) task.payload = readJsonObject(record.payload, scope, 'payload');
}

/**
 * Turns untrusted task input (CLI JSON, a file, a database row) into a frozen {@link Task}.
 * Accepts the friendly form — `recurrence: { cron }` or `{ everyMs }`, `retry` with only the
 * fields that differ from the defaults — and the stored form alike, so a task read back from
 * the log validates to itself. Defaults: `priority` `'medium'`, `preferredSlots` `[]`,
 * `retry` `{ maxRetries: 0, delayMs: 3_600_000, backoff: 'fixed' }`, `createdAt` = `now`.
 *
 * With `calendar`, preferred slots must exist in its slot pool. Without `now`, `createdAt`
 * must be given: validation never reads the real clock.
 * @throws ValidationError (`planflow:invalid-task`) whose `field` is the dotted path at fault.
 * @example
 * parseTask(
 *   { id: 'standup', title: 'Stand-up', recurrence: { cron: '30 9 * * 1-5' }, retry: { maxRetries: 2 } },
 *   calendar,
 *   new Date(clock.now()),
 * );
 */
export function parseTask(input: unknown, calendar?: CalendarConfig, now?: Date): Task {
  const root: InputScope = { code: 'planflow:invalid-task', subject: 'Task', path: '' };
  const record = readRecord(input, root, '');
  const scope = taskScope(record);
  rejectUnknownKeys(record, KEYS, scope);
  const id = readId(record.id, scope, 'id');
  const title = readText(record.title, scope, 'title', 500);
  let createdAt: string;
  if (record.createdAt !== undefined) {
    createdAt = readInstant(record.createdAt, scope, 'createdAt');
  } else if (now !== undefined) {
    createdAt = readInstant(now, { ...scope, code: 'planflow:invalid-input' }, 'now');
  } else {
    throw invalid(scope, 'createdAt', 'given when parseTask is called without `now`', undefined);
  }
  const priority: Priority =
    record.priority === undefined
      ? 'medium'
      : readChoice(record.priority, ['low', 'medium', 'high'] as const, scope, 'priority');
  const preferredSlots =
    record.preferredSlots === undefined
      ? []
      : readPreferredSlots(record.preferredSlots, scope, calendar);
  const retry =
    record.retry === undefined
      ? DEFAULT_RETRY_POLICY
      : readRetryPolicy(record.retry, scope, 'retry');
  const task: MutableTask = { id, title, createdAt, priority, preferredSlots, retry };
  readOptionalFields(record, scope, task);
  return deepFreeze(task);
}
