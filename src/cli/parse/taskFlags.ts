import { canonicalTimeZone } from '../../domain/validateTimeZone.js';
import { inputError } from '../exitCodes.js';
import { parseDuration } from './duration.js';
import type { FieldFlags } from './flagErrors.js';
import { parseCliInstant } from './instant.js';

/** The `task add` options, as commander collects them. */
export type TaskAddFlags = Readonly<{
  id?: string;
  at?: string;
  every?: string;
  cron?: string;
  rrule?: string;
  tz?: string;
  pin?: string;
  allowPast?: boolean;
  retries?: string;
  retryDelay?: string;
  backoff?: string;
  run?: string;
  timeout?: string;
  slot?: readonly string[];
  priority?: string;
  description?: string;
  jitter?: string;
  ignoreCalendar?: boolean;
  catchUp?: string;
  catchUpWindow?: string;
  catchUpMax?: string;
  overlap?: string;
}>;

/** The `task update` options: those of `task add`, plus the title and putting the calendar back. */
export type TaskUpdateFlags = TaskAddFlags &
  Readonly<{
    title?: string;
    applyCalendar?: boolean;
  }>;

/** Handler name of tasks that run a shell command; `run` registers it. */
export const SHELL_HANDLER = 'shell';

/** Per-attempt timeout of a shell command when `--timeout` is not given. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

/** Which flag set which task field, for error messages. */
export const TASK_FIELD_FLAGS: FieldFlags = [
  ['id', '--id'],
  ['title', '<title>'],
  ['description', '--description'],
  ['startAt', '--at'],
  ['recurrence.everyMs', '--every'],
  ['recurrence.cron', '--cron'],
  ['recurrence.timeZone', '--tz'],
  ['recurrence.rrule', '--rrule'],
  ['recurrence', '--every/--cron/--rrule'],
  ['pinnedTime', '--pin'],
  ['retry.maxRetries', '--retries'],
  ['retry.delayMs', '--retry-delay'],
  ['retry.backoff', '--backoff'],
  ['retry', '--retries'],
  ['timeoutMs', '--timeout'],
  ['preferredSlots', '--slot'],
  ['priority', '--priority'],
  ['payload', '--run'],
  ['jitterMs', '--jitter'],
  ['calendar', '--ignore-calendar'],
  ['catchUp.policy', '--catch-up'],
  ['catchUp.windowMs', '--catch-up-window'],
  ['catchUp.maxRuns', '--catch-up-max'],
  ['catchUp', '--catch-up'],
  ['overlap', '--overlap'],
];

/**
 * `--catch-up`, `--catch-up-window` and `--catch-up-max` as a task's `catchUp` (only the
 * parts given: `task update` merges them into the task's policy); undefined when none is.
 */
function catchUpInput(flags: TaskAddFlags): Record<string, unknown> | undefined {
  const catchUp: Record<string, unknown> = {};
  if (flags.catchUp !== undefined) catchUp.policy = flags.catchUp;
  if (flags.catchUpWindow !== undefined) {
    catchUp.windowMs = parseDuration(flags.catchUpWindow, '--catch-up-window');
  }
  if (flags.catchUpMax !== undefined) {
    catchUp.maxRuns = wholeNumber(flags.catchUpMax, '--catch-up-max');
  }
  return Object.keys(catchUp).length > 0 ? catchUp : undefined;
}

function wholeNumber(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim())) {
    throw inputError(flag, `${flag} must be a whole number ≥ 0, got ${JSON.stringify(text)}`);
  }
  return Number(text.trim());
}

function retryInput(flags: TaskAddFlags): Record<string, unknown> | undefined {
  const retry: Record<string, unknown> = {};
  if (flags.retries !== undefined) retry.maxRetries = wholeNumber(flags.retries, '--retries');
  if (flags.retryDelay !== undefined) {
    retry.delayMs = parseDuration(flags.retryDelay, '--retry-delay');
  }
  if (flags.backoff !== undefined) retry.backoff = flags.backoff;
  return Object.keys(retry).length > 0 ? retry : undefined;
}

function checkCombinations(flags: TaskUpdateFlags, forUpdate = false): void {
  const repeats = [
    ['--every', flags.every],
    ['--cron', flags.cron],
    ['--rrule', flags.rrule],
  ].filter(([, value]) => value !== undefined);
  if (repeats.length > 1) {
    throw inputError(
      repeats[1]![0]!,
      `give one of --every, --cron or --rrule, not ${repeats.map(([f]) => f).join(' and ')}`,
    );
  }
  const zoned = [flags.cron, flags.at, flags.pin].some((f) => f !== undefined);
  if (flags.tz !== undefined && !zoned) {
    throw inputError(
      '--tz',
      flags.rrule !== undefined
        ? '--rrule carries its own zone in DTSTART (e.g. DTSTART;TZID=Europe/Berlin:20260105T090000); leave out --tz'
        : '--tz is the zone of --cron and of words such as "tomorrow 09:00" in --at and --pin; give one of those too (the calendar has its own zone: planflow calendar --tz)',
    );
  }
  if (flags.tz !== undefined && canonicalTimeZone(flags.tz) === undefined) {
    throw inputError(
      '--tz',
      `--tz must be an IANA time zone such as "Europe/Berlin" or "UTC", got ${JSON.stringify(flags.tz)}`,
    );
  }
  if (flags.allowPast === true && flags.at === undefined && flags.pin === undefined) {
    throw inputError(
      '--allow-past',
      '--allow-past lets --at or --pin be in the past; give one of those too',
    );
  }
  if (flags.timeout !== undefined && flags.run === undefined && !forUpdate) {
    throw inputError('--timeout', '--timeout limits a --run command; give --run too');
  }
  if (flags.ignoreCalendar === true && flags.applyCalendar === true) {
    throw inputError(
      '--apply-calendar',
      'give --ignore-calendar (exact times outside the calendar) or --apply-calendar (back under its rules), not both',
    );
  }
  if (forUpdate) return;
  const when = [flags.at, flags.every, flags.cron, flags.rrule, flags.pin].filter(
    (f) => f !== undefined,
  );
  if (when.length === 0) {
    throw inputError(
      '--at',
      'say when the task runs with --at, --every, --cron, --rrule or --pin (e.g. --at now, --every 1h, --cron "30 9 * * 1-5")',
    );
  }
}

/** When the flags are read: the scheduler's clock and the zone words such as "tomorrow" mean. */
export type FlagTime = Readonly<{
  nowMs: number;
  /** `--tz`, else the calendar's zone. */
  timeZone: string;
  /** Skip the past check (for a first syntax check before the calendar's zone is known). */
  ignorePast?: boolean;
}>;

/**
 * An instant flag, refused when it lies before now unless `--allow-past` is given: a past
 * time would run at once (or be missed), which is rarely what the person meant.
 */
function futureInstant(text: string, flag: string, flags: TaskAddFlags, time: FlagTime): string {
  const instant = parseCliInstant(text, flag, time.nowMs, time.timeZone);
  if (Date.parse(instant) < time.nowMs && flags.allowPast !== true && time.ignorePast !== true) {
    throw inputError(
      flag,
      `${flag} ${JSON.stringify(text)} is in the past (${instant}, now is ${new Date(time.nowMs).toISOString()}, zone ${time.timeZone}); give a later time, or add --allow-past to mean it`,
    );
  }
  return instant;
}

/**
 * Turns `task add` flags into untrusted task input for `parseTask`. Flag syntax (durations,
 * instants, numbers, flags that only make sense together) is checked here; the values are
 * checked by `parseTask`. Words in `--at`/`--pin` (`tomorrow 09:00`) are read on
 * `time.timeZone`'s clock, and a past `--at`/`--pin` is refused unless `--allow-past`. A
 * `--run` command makes the task use the shell handler with the command in `payload.run` and
 * a timeout (default 60 s).
 * @throws ValidationError (`planflow:invalid-input`) naming the flag.
 */
export function taskInputFromFlags(
  id: string,
  title: string,
  flags: TaskAddFlags,
  time: FlagTime,
): Record<string, unknown> {
  checkCombinations(flags);
  const input: Record<string, unknown> = { id, title };
  if (flags.description !== undefined) input.description = flags.description;
  if (flags.at !== undefined) input.startAt = futureInstant(flags.at, '--at', flags, time);
  if (flags.pin !== undefined) input.pinnedTime = futureInstant(flags.pin, '--pin', flags, time);
  if (flags.every !== undefined) {
    input.recurrence = { everyMs: parseDuration(flags.every, '--every') };
  }
  if (flags.cron !== undefined) {
    input.recurrence =
      flags.tz === undefined ? { cron: flags.cron } : { cron: flags.cron, timeZone: flags.tz };
  }
  if (flags.rrule !== undefined) input.recurrence = { rrule: flags.rrule };
  if (flags.jitter !== undefined) input.jitterMs = jitterMsOf(flags.jitter);
  if (flags.ignoreCalendar === true) input.calendar = 'ignore';
  const catchUp = catchUpInput(flags);
  if (catchUp !== undefined) input.catchUp = { policy: 'skip', ...catchUp };
  if (flags.overlap !== undefined) input.overlap = flags.overlap;
  const retry = retryInput(flags);
  if (retry !== undefined) input.retry = retry;
  if (flags.priority !== undefined) input.priority = flags.priority;
  const slots = slotsOf(flags);
  if (slots.length > 0) input.preferredSlots = slots;
  if (flags.run !== undefined) Object.assign(input, commandFields(flags.run, flags.timeout));
  return input;
}

function slotsOf(flags: TaskAddFlags): string[] {
  return (flags.slot ?? []).flatMap((s) => s.split(',')).map((s) => s.trim());
}

/** The fields `--run` sets: the shell handler, the command and its timeout. */
function commandFields(run: string, timeout: string | undefined): Record<string, unknown> {
  if (run.trim() === '') {
    throw inputError('--run', '--run must be a shell command, got an empty string');
  }
  return {
    handler: SHELL_HANDLER,
    payload: { run },
    timeoutMs:
      timeout === undefined ? DEFAULT_COMMAND_TIMEOUT_MS : parseDuration(timeout, '--timeout'),
  };
}

/** `--jitter`: a duration, or `0` for none. */
function jitterMsOf(text: string): number {
  return text.trim() === '0' ? 0 : parseDuration(text, '--jitter');
}

/** `none`: the flag takes the field away. */
const NONE = 'none';

/**
 * Turns `task update` flags into `updateTask` changes: each flag given changes its field and
 * nothing else (`--retries` changes only `retry.maxRetries`; `--cron` keeps the recurrence's
 * `--tz` unless given), `none` removes `--at`, `--pin`, `--description` or the recurrence
 * (`--every none`), `--jitter 0` removes the jitter, `--apply-calendar` undoes
 * `--ignore-calendar`. Flag syntax is checked here, the values by `updateTask`.
 * @throws ValidationError (`planflow:invalid-input`) naming the flag, also when no change is
 * given.
 */
export function taskChangesFromFlags(
  flags: TaskUpdateFlags,
  time: FlagTime,
): Record<string, unknown> {
  checkCombinations(flags, true);
  const changes: Record<string, unknown> = {};
  const instantOrNone = (text: string, flag: string) =>
    text === NONE ? null : futureInstant(text, flag, flags, time);
  if (flags.title !== undefined) changes.title = flags.title;
  if (flags.description !== undefined) {
    changes.description = flags.description === NONE ? null : flags.description;
  }
  if (flags.at !== undefined) changes.startAt = instantOrNone(flags.at, '--at');
  if (flags.pin !== undefined) changes.pinnedTime = instantOrNone(flags.pin, '--pin');
  const repeat = flags.every ?? flags.cron ?? flags.rrule;
  if (repeat === NONE) changes.recurrence = null;
  else if (flags.every !== undefined) {
    changes.recurrence = { everyMs: parseDuration(flags.every, '--every') };
  } else if (flags.cron !== undefined) {
    changes.recurrence =
      flags.tz === undefined ? { cron: flags.cron } : { cron: flags.cron, timeZone: flags.tz };
  } else if (flags.rrule !== undefined) changes.recurrence = { rrule: flags.rrule };
  const retry = retryInput(flags);
  if (retry !== undefined) changes.retry = retry;
  if (flags.priority !== undefined) changes.priority = flags.priority;
  const slots = slotsOf(flags);
  if (slots.length > 0) changes.preferredSlots = slots.includes(NONE) ? [] : slots;
  if (flags.run !== undefined) Object.assign(changes, commandFields(flags.run, flags.timeout));
  else if (flags.timeout !== undefined) {
    changes.timeoutMs = parseDuration(flags.timeout, '--timeout');
  }
  if (flags.jitter !== undefined) {
    const jitterMs = jitterMsOf(flags.jitter);
    changes.jitterMs = jitterMs === 0 ? null : jitterMs;
  }
  if (flags.ignoreCalendar === true) changes.calendar = 'ignore';
  if (flags.applyCalendar === true) changes.calendar = null;
  const catchUp = catchUpInput(flags);
  if (catchUp !== undefined) changes.catchUp = catchUp;
  if (flags.overlap !== undefined) changes.overlap = flags.overlap;
  if (Object.keys(changes).length === 0) {
    throw inputError(
      '<id>',
      'task update: give at least one change, e.g. --cron "0 10 * * *", --retries 3, --title "New title" (see planflow task update --help)',
    );
  }
  return changes;
}
