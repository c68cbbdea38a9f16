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
  tz?: string;
  pin?: string;
  retries?: string;
  retryDelay?: string;
  backoff?: string;
  run?: string;
  timeout?: string;
  slot?: readonly string[];
  priority?: string;
  description?: string;
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
  ['recurrence', '--every/--cron'],
  ['pinnedTime', '--pin'],
  ['retry.maxRetries', '--retries'],
  ['retry.delayMs', '--retry-delay'],
  ['retry.backoff', '--backoff'],
  ['retry', '--retries'],
  ['timeoutMs', '--timeout'],
  ['preferredSlots', '--slot'],
  ['priority', '--priority'],
  ['payload', '--run'],
];

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

function checkCombinations(flags: TaskAddFlags): void {
  if (flags.every !== undefined && flags.cron !== undefined) {
    throw inputError('--every', 'give either --every or --cron, not both');
  }
  if (flags.tz !== undefined && flags.cron === undefined) {
    throw inputError(
      '--tz',
      '--tz is the zone of a --cron expression; give --cron too (the calendar has its own zone: planflow calendar --tz)',
    );
  }
  if (flags.timeout !== undefined && flags.run === undefined) {
    throw inputError('--timeout', '--timeout limits a --run command; give --run too');
  }
  const when = [flags.at, flags.every, flags.cron, flags.pin].filter((f) => f !== undefined);
  if (when.length === 0) {
    throw inputError(
      '--at',
      'say when the task runs with --at, --every, --cron or --pin (e.g. --at now, --every 1h, --cron "30 9 * * 1-5")',
    );
  }
}

/**
 * Turns `task add` flags into untrusted task input for `parseTask`. Flag syntax (durations,
 * instants, numbers, flags that only make sense together) is checked here; the values are
 * checked by `parseTask`. A `--run` command makes the task use the shell handler with the
 * command in `payload.run` and a timeout (default 60 s).
 * @throws ValidationError (`planflow:invalid-input`) naming the flag.
 */
export function taskInputFromFlags(
  id: string,
  title: string,
  flags: TaskAddFlags,
  nowMs: number,
): Record<string, unknown> {
  checkCombinations(flags);
  const input: Record<string, unknown> = { id, title };
  if (flags.description !== undefined) input.description = flags.description;
  if (flags.at !== undefined) input.startAt = parseCliInstant(flags.at, '--at', nowMs);
  if (flags.pin !== undefined) input.pinnedTime = parseCliInstant(flags.pin, '--pin', nowMs);
  if (flags.every !== undefined) {
    input.recurrence = { everyMs: parseDuration(flags.every, '--every') };
  }
  if (flags.cron !== undefined) {
    input.recurrence =
      flags.tz === undefined ? { cron: flags.cron } : { cron: flags.cron, timeZone: flags.tz };
  }
  const retry = retryInput(flags);
  if (retry !== undefined) input.retry = retry;
  if (flags.priority !== undefined) input.priority = flags.priority;
  const slots = (flags.slot ?? []).flatMap((s) => s.split(',')).map((s) => s.trim());
  if (slots.length > 0) input.preferredSlots = slots;
  if (flags.run !== undefined) {
    if (flags.run.trim() === '') {
      throw inputError('--run', '--run must be a shell command, got an empty string');
    }
    input.handler = SHELL_HANDLER;
    input.payload = { run: flags.run };
    input.timeoutMs =
      flags.timeout === undefined
        ? DEFAULT_COMMAND_TIMEOUT_MS
        : parseDuration(flags.timeout, '--timeout');
  }
  return input;
}
