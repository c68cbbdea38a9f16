import { Cron } from 'croner';
import { deepFreeze } from './deepFreeze.js';
import type {
  CronRecurrence,
  CronRecurrenceInput,
  InstantInput,
  IntervalRecurrence,
  IntervalRecurrenceInput,
  Recurrence,
  RruleRecurrence,
  RruleRecurrenceInput,
} from './types.js';
import { readInteger, readRecord } from './validateFields.js';
import { defineFields, optional, readFields, rule, withDefault } from './validateFieldTable.js';
import { readInstant } from './validateInstant.js';
import { readRrule } from './validateRrule.js';
import { readTimeZone } from './validateTimeZone.js';
import { type InputScope, invalid, nestedScope } from './validationFailure.js';

const STANDALONE: InputScope = Object.freeze({
  code: 'planflow:invalid-task',
  subject: 'Recurrence',
  path: '',
});

/**
 * Checks a cron expression with croner itself (5 or 6 fields, names and nicknames allowed) and
 * that it fires at least once, so `0 0 30 2 *` (February 30th) is refused up front instead of
 * silently never running. Returns the expression with its whitespace normalised.
 */
function readCron(value: unknown, scope: InputScope, field: string): string {
  const expected = `a 5- or 6-field cron expression of at most ${MAX_CRON_LENGTH} characters, e.g. "30 9 * * 1-5"`;
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_CRON_LENGTH) {
    throw invalid(scope, field, expected, value);
  }
  const cron = value.trim().replace(/\s+/g, ' ');
  let first: Date | null;
  try {
    // Whether an expression ever matches does not depend on the zone, so UTC serves.
    first = new Cron(cron, { mode: '5-or-6-parts', timezone: 'UTC' }).nextRun(new Date(0));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalid(scope, field, expected, value, `(${reason})`);
  }
  if (first === null) {
    throw invalid(scope, field, 'a cron expression that matches at least one date', value);
  }
  return cron;
}

/** Longest accepted cron expression: real ones are a few dozen characters. */
const MAX_CRON_LENGTH = 200;

const zone = optional(rule<string>(readTimeZone));

/** A cron recurrence's fields, typed against {@link CronRecurrenceInput}. */
const CRON_FIELDS = defineFields<CronRecurrenceInput, CronRecurrence>({
  kind: withDefault(
    rule<'cron'>(() => 'cron'),
    'cron',
  ),
  cron: rule<string>(readCron),
  timeZone: zone,
});

/** An interval recurrence's fields, typed against {@link IntervalRecurrenceInput}. */
const INTERVAL_FIELDS = defineFields<IntervalRecurrenceInput, IntervalRecurrence>({
  kind: withDefault(
    rule<'interval'>(() => 'interval'),
    'interval',
  ),
  everyMs: rule<number>((v, s, f) => readInteger(v, s, f, 1)),
  anchor: optional(rule<InstantInput, string>(readInstant)),
});

/** An RFC 5545 recurrence's fields, typed against {@link RruleRecurrenceInput}. */
const RRULE_FIELDS = defineFields<RruleRecurrenceInput, RruleRecurrence>({
  kind: withDefault(
    rule<'rrule'>(() => 'rrule'),
    'rrule',
  ),
  rrule: rule<string>(readRrule),
});

/** Which kind a recurrence's own field implies, in the order the friendly forms are tried. */
const KIND_OF_FIELD = [
  ['cron', 'cron'],
  ['everyMs', 'interval'],
  ['rrule', 'rrule'],
] as const;

/**
 * Reads a recurrence inside an enclosing scope. Accepts the friendly forms `{ cron, timeZone? }`,
 * `{ everyMs, anchor? }` and `{ rrule }` as well as the stored form with `kind`.
 */
export function readRecurrence(input: unknown, scope: InputScope, field: string): Recurrence {
  const record = readRecord(input, scope, field);
  const inner = nestedScope(scope, field);
  if (
    record.kind !== undefined &&
    record.kind !== 'cron' &&
    record.kind !== 'interval' &&
    record.kind !== 'rrule'
  ) {
    throw invalid(inner, 'kind', "'cron', 'interval' or 'rrule'", record.kind);
  }
  const given = KIND_OF_FIELD.filter(([key]) => record[key] !== undefined);
  if (given.length > 1) {
    throw invalid(inner, '', 'one of { cron }, { everyMs } or { rrule }, not several', record);
  }
  const kind = record.kind ?? given[0]?.[1];
  if (kind === undefined) {
    throw invalid(
      inner,
      '',
      'a recurrence { cron: "30 9 * * 1-5" }, { everyMs: 3600000 } or { rrule: "DTSTART;TZID=…\\nRRULE:FREQ=…" }',
      record,
    );
  }
  const recurrence =
    kind === 'cron'
      ? (readFields(CRON_FIELDS, record, inner) as CronRecurrence)
      : kind === 'interval'
        ? (readFields(INTERVAL_FIELDS, record, inner) as IntervalRecurrence)
        : (readFields(RRULE_FIELDS, record, inner) as RruleRecurrence);
  return deepFreeze(recurrence);
}

/**
 * Validates a recurrence given on its own and returns its frozen domain form (with `kind`).
 * Cron expressions are checked by croner, RFC 5545 rules by rrule-temporal after their parts
 * are checked (see `readRrule`); time zones against the runtime's IANA database.
 * @throws ValidationError (`planflow:invalid-task`) naming the field.
 * @example
 * parseRecurrence({ cron: '30 9 * * 1-5', timeZone: 'Europe/Berlin' });
 * // { kind: 'cron', cron: '30 9 * * 1-5', timeZone: 'Europe/Berlin' }
 * parseRecurrence({ rrule: 'DTSTART;TZID=America/New_York:20260105T090000 RRULE:FREQ=WEEKLY;COUNT=4' });
 * // { kind: 'rrule', rrule: 'DTSTART;TZID=America/New_York:20260105T090000\nRRULE:FREQ=WEEKLY;COUNT=4' }
 */
export function parseRecurrence(input: unknown): Recurrence {
  return readRecurrence(input, STANDALONE, '');
}
