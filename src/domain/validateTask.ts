import { deepFreeze } from './deepFreeze.js';
import type {
  CalendarConfig,
  CatchUpPolicy,
  CatchUpPolicyInput,
  InstantInput,
  OverlapPolicy,
  Priority,
  Recurrence,
  RecurrenceInput,
  RetryPolicy,
  RetryPolicyInput,
  Task,
  TaskInput,
} from './types.js';
import { readCatchUp } from './validateCatchUp.js';
import {
  readChoice,
  readId,
  readInteger,
  readJsonObject,
  readList,
  readRecord,
  readText,
} from './validateFields.js';
import { defineFields, optional, readFields, rule, withDefault } from './validateFieldTable.js';
import { readInstant } from './validateInstant.js';
import { readRecurrence } from './validateRecurrence.js';
import { DEFAULT_RETRY_POLICY, readRetryPolicy } from './validateRetryPolicy.js';
import { closestName, type InputScope, invalid } from './validationFailure.js';

/** Longest handler timeout: the largest delay a Node timer can wait in one go. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** Largest `maxConcurrent`. */
const MAX_CONCURRENT = 10_000;

/** Largest `jitterMs`: an hour. */
const MAX_JITTER_MS = 3_600_000;

/** Longest title, description and link, in characters. */
export const TASK_TEXT_LIMITS = Object.freeze({ title: 500, description: 10_000, link: 2000 });

function readDescription(value: unknown, scope: InputScope, field: string): string {
  if (typeof value !== 'string' || value.length > TASK_TEXT_LIMITS.description) {
    throw invalid(
      scope,
      field,
      `a string of at most ${TASK_TEXT_LIMITS.description} characters`,
      value,
    );
  }
  return value;
}

/** Slot ids without duplicates; whether they exist is checked against the calendar later. */
function readSlotIds(value: unknown, scope: InputScope, field: string): readonly string[] {
  const ids = readList(value, scope, field, 'slot ids').map((item, i) =>
    readId(item, scope, `${field}[${i}]`),
  );
  if (new Set(ids).size !== ids.length) {
    throw invalid(scope, field, 'a list without duplicate slot ids', ids);
  }
  return ids;
}

const instant = rule<InstantInput, string>(readInstant);

/** Every {@link OverlapPolicy}. */
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = Object.freeze([
  'skip',
  'bufferOne',
  'bufferAll',
  'allowAll',
  'cancelOther',
]);

/**
 * The task's fields in the order they are stored, typed against {@link TaskInput}: a field
 * added to `TaskInput` without a rule here (or the reverse) does not compile, and a key not
 * in this table is refused at run time with the accepted keys listed.
 */
const FIELDS = defineFields<TaskInput, Task>({
  id: rule<string>(readId),
  title: rule<string>((v, s, f) => readText(v, s, f, TASK_TEXT_LIMITS.title)),
  createdAt: optional(instant),
  priority: withDefault(
    rule<Priority>((v, s, f) => readChoice(v, ['low', 'medium', 'high'] as const, s, f)),
    'medium',
  ),
  preferredSlots: withDefault(rule<readonly string[]>(readSlotIds), []),
  retry: withDefault(rule<RetryPolicyInput, RetryPolicy>(readRetryPolicy), DEFAULT_RETRY_POLICY),
  description: optional(rule<string>(readDescription)),
  link: optional(rule<string>((v, s, f) => readText(v, s, f, TASK_TEXT_LIMITS.link))),
  startAt: optional(instant),
  recurrence: optional(rule<RecurrenceInput, Recurrence>(readRecurrence)),
  pinnedTime: optional(instant),
  handler: optional(rule<string>(readId)),
  timeoutMs: optional(rule<number>((v, s, f) => readInteger(v, s, f, 1, MAX_TIMEOUT_MS))),
  payload: optional(rule<Readonly<Record<string, unknown>>>(readJsonObject)),
  maxConcurrent: optional(rule<number>((v, s, f) => readInteger(v, s, f, 1, MAX_CONCURRENT))),
  // 'apply' is the default, stored as nothing.
  calendar: optional(
    rule<'apply' | 'ignore', 'ignore' | undefined>((v, s, f) =>
      readChoice(v, ['apply', 'ignore'] as const, s, f) === 'ignore' ? 'ignore' : undefined,
    ),
  ),
  // 0 is no jitter, stored as none, so it does not make an equal definition differ.
  jitterMs: optional(
    rule<number, number | undefined>(
      (v, s, f) => readInteger(v, s, f, 0, MAX_JITTER_MS) || undefined,
    ),
  ),
  // Only `true` is kept: a task that runs has no `paused` field.
  paused: optional(
    rule<boolean, true | undefined>((v, s, f) => {
      if (typeof v !== 'boolean') throw invalid(s, f, 'true or false', v);
      return v ? true : undefined;
    }),
  ),
  catchUp: optional(rule<CatchUpPolicyInput, CatchUpPolicy | undefined>(readCatchUp)),
  // 'skip' is the default, stored as nothing.
  overlap: optional(
    rule<OverlapPolicy, OverlapPolicy | undefined>((v, s, f) => {
      const policy = readChoice(v, OVERLAP_POLICIES, s, f);
      return policy === 'skip' ? undefined : policy;
    }),
  ),
});

function taskScope(record: Readonly<Record<string, unknown>>): InputScope {
  const id = record.id;
  const named = typeof id === 'string' && id.length > 0 && id.length <= 60;
  return {
    code: 'planflow:invalid-task',
    subject: named ? `Task ${JSON.stringify(id)}` : 'Task',
    path: '',
  };
}

const ROOT: InputScope = Object.freeze({
  code: 'planflow:invalid-task',
  subject: 'Task',
  path: '',
});

function checkSlotsExist(task: Task, calendar: CalendarConfig, scope: InputScope): void {
  const known = new Set(calendar.slots.map((s) => s.id));
  task.preferredSlots.forEach((id, i) => {
    if (known.has(id)) return;
    const list = [...known].map((k) => `"${k}"`).join(', ') || 'none defined';
    throw invalid(scope, `preferredSlots[${i}]`, `a slot id of the calendar (known: ${list})`, id);
  });
}

function checkHandlerRegistered(handler: string, names: readonly string[], scope: InputScope) {
  if (names.includes(handler)) return;
  const near = closestName(handler, names);
  const known = names.map((n) => `"${n}"`).join(', ') || 'none registered';
  throw invalid(
    scope,
    'handler',
    `the name of a registered handler (known: ${known})`,
    handler,
    near === undefined
      ? 'Register it in createScheduler({ handlers }) or fix the name.'
      : `Did you mean "${near}"?`,
  );
}

/**
 * Turns untrusted task input (CLI JSON, a file, a database row) into a frozen {@link Task}.
 * Accepts the friendly form — `recurrence: { cron }` or `{ everyMs }`, `retry` with only the
 * fields that differ from the defaults — and the stored form alike, so a task read back from
 * the log validates to itself. Defaults: `priority` `'medium'`, `preferredSlots` `[]`,
 * `retry` `{ maxRetries: 0, delayMs: 3_600_000, backoff: 'fixed' }`, `createdAt` = `now`.
 *
 * With `calendar`, preferred slots must exist in its slot pool. With `handlerNames` (the
 * scheduler's registered handlers), `handler` must be one of them, so a misspelt name fails
 * here rather than when the task fires. Without `now`, `createdAt` must be given: validation
 * never reads the real clock.
 * @throws ValidationError (`planflow:invalid-task`) whose `field` is the dotted path at fault.
 * @example
 * parseTask(
 *   { id: 'standup', title: 'Stand-up', recurrence: { cron: '30 9 * * 1-5' }, retry: { maxRetries: 2 } },
 *   calendar,
 *   new Date(clock.now()),
 * );
 */
export function parseTask(
  input: unknown,
  calendar?: CalendarConfig,
  now?: Date,
  handlerNames?: readonly string[],
): Task {
  const record = readRecord(input, ROOT, '');
  const scope = taskScope(record);
  let task: Record<string, unknown> = readFields(FIELDS, record, scope);
  if (task.createdAt === undefined) {
    if (now === undefined) {
      throw invalid(scope, 'createdAt', 'given when parseTask is called without `now`', undefined);
    }
    const createdAt = readInstant(now, { ...scope, code: 'planflow:invalid-input' }, 'now');
    // Rebuilt so `createdAt` keeps its place in the stored key order.
    const { id, title, ...rest } = task;
    task = { id, title, createdAt, ...rest };
  }
  const valid = task as unknown as Task;
  if (calendar !== undefined) checkSlotsExist(valid, calendar, scope);
  if (handlerNames !== undefined && valid.handler !== undefined) {
    checkHandlerRegistered(valid.handler, handlerNames, scope);
  }
  return deepFreeze(valid);
}
