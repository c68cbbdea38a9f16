import { Cron } from 'croner';
import { deepFreeze } from './deepFreeze.js';
import type { CronRecurrence, IntervalRecurrence, Recurrence } from './types.js';
import { readInteger, readRecord, rejectUnknownKeys } from './validateFields.js';
import { readInstant } from './validateInstant.js';
import { readTimeZone } from './validateTimeZone.js';
import { type InputScope, invalid, nestedScope } from './validationFailure.js';

const STANDALONE: InputScope = Object.freeze({
  code: 'planflow:invalid-task',
  subject: 'Recurrence',
  path: '',
});

const CRON_KEYS = ['kind', 'cron', 'timeZone'] as const;
const INTERVAL_KEYS = ['kind', 'everyMs', 'anchor'] as const;

/**
 * Checks a cron expression with croner itself (5 or 6 fields, names and nicknames allowed) and
 * that it fires at least once, so `0 0 30 2 *` (February 30th) is refused up front instead of
 * silently never running. Returns the expression with its whitespace normalised.
 */
function readCron(value: unknown, timeZone: string | undefined, scope: InputScope): string {
  const expected = 'a 5- or 6-field cron expression, e.g. "30 9 * * 1-5"';
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid(scope, 'cron', expected, value);
  const cron = value.trim().replace(/\s+/g, ' ');
  let first: Date | null;
  try {
    first = new Cron(cron, { mode: '5-or-6-parts', timezone: timeZone ?? 'UTC' }).nextRun(
      new Date(0),
    );
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalid(scope, 'cron', expected, value, `(${reason})`);
  }
  if (first === null) {
    throw invalid(scope, 'cron', 'a cron expression that matches at least one date', value);
  }
  return cron;
}

function readCronRecurrence(
  record: Readonly<Record<string, unknown>>,
  scope: InputScope,
): CronRecurrence {
  rejectUnknownKeys(record, CRON_KEYS, scope);
  const timeZone =
    record.timeZone === undefined ? undefined : readTimeZone(record.timeZone, scope, 'timeZone');
  const cron = readCron(record.cron, timeZone, scope);
  return timeZone === undefined ? { kind: 'cron', cron } : { kind: 'cron', cron, timeZone };
}

function readIntervalRecurrence(
  record: Readonly<Record<string, unknown>>,
  scope: InputScope,
): IntervalRecurrence {
  rejectUnknownKeys(record, INTERVAL_KEYS, scope);
  const everyMs = readInteger(record.everyMs, scope, 'everyMs', 1);
  if (record.anchor === undefined) return { kind: 'interval', everyMs };
  return { kind: 'interval', everyMs, anchor: readInstant(record.anchor, scope, 'anchor') };
}

/**
 * Reads a recurrence inside an enclosing scope. Accepts the friendly forms `{ cron, timeZone? }`
 * and `{ everyMs, anchor? }` as well as the stored form with `kind`.
 */
export function readRecurrence(input: unknown, scope: InputScope, field: string): Recurrence {
  const record = readRecord(input, scope, field);
  const inner = nestedScope(scope, field);
  const hasCron = record.cron !== undefined;
  const hasEvery = record.everyMs !== undefined;
  if (record.kind !== undefined && record.kind !== 'cron' && record.kind !== 'interval') {
    throw invalid(inner, 'kind', "'cron' or 'interval'", record.kind);
  }
  if (hasCron && hasEvery) {
    throw invalid(inner, '', 'either { cron } or { everyMs }, not both', record);
  }
  const kind = record.kind ?? (hasCron ? 'cron' : hasEvery ? 'interval' : undefined);
  if (kind === undefined) {
    throw invalid(
      inner,
      '',
      'a recurrence { cron: "30 9 * * 1-5" } or { everyMs: 3600000 }',
      record,
    );
  }
  const recurrence =
    kind === 'cron' ? readCronRecurrence(record, inner) : readIntervalRecurrence(record, inner);
  return deepFreeze(recurrence);
}

/**
 * Validates a recurrence given on its own and returns its frozen domain form (with `kind`).
 * Cron expressions are checked by croner; time zones against the runtime's IANA database.
 * @throws ValidationError (`planflow:invalid-task`) naming the field.
 * @example
 * parseRecurrence({ cron: '30 9 * * 1-5', timeZone: 'Europe/Berlin' });
 * // { kind: 'cron', cron: '30 9 * * 1-5', timeZone: 'Europe/Berlin' }
 */
export function parseRecurrence(input: unknown): Recurrence {
  return readRecurrence(input, STANDALONE, '');
}
