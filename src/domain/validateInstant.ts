import type { IsoInstant } from './types.js';
import { isRealDate } from './validateFields.js';
import { type InputScope, invalid } from './validationFailure.js';

/**
 * Instants are limited to years 0000–9999: beyond that `toISOString()` switches to the
 * six-digit `+010000-…` form, which would no longer read back as the same kind of string.
 */
const MIN_EPOCH_MS = -62_167_219_200_000;
const MAX_EPOCH_MS = 253_402_300_799_999;

/**
 * ISO-8601 date-time with a mandatory `Z` or `±HH:MM` offset. Seconds and a fraction are
 * optional; a fraction beyond milliseconds is truncated.
 */
const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/i;

const DEFAULT_SCOPE: InputScope = Object.freeze({
  code: 'planflow:invalid-input',
  subject: 'Instant',
  path: '',
});

const EXPECTED =
  'a valid Date, epoch milliseconds, or an ISO-8601 string with Z or an offset (e.g. "2026-03-29T09:30:00+02:00") in years 0000–9999';

function parseIsoMs(text: string): number | undefined {
  const m = ISO_WITH_OFFSET.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  if (!isRealDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, ms);
  return utc.getTime() - offsetMinutes * 60_000;
}

/**
 * The instant `input` denotes as epoch milliseconds, or a ValidationError. Strings must carry
 * `Z` or an offset: a local string such as `"2026-03-29T09:30"` means different instants on
 * different machines, which is exactly the ambiguity a scheduler must not guess at.
 */
export function readInstantMs(input: unknown, scope: InputScope, field: string): number {
  let ms: number | undefined;
  if (input instanceof Date) ms = input.getTime();
  else if (typeof input === 'number') ms = Number.isInteger(input) ? input : Number.NaN;
  else if (typeof input === 'string') ms = parseIsoMs(input);
  if (ms === undefined || !Number.isFinite(ms) || ms < MIN_EPOCH_MS || ms > MAX_EPOCH_MS) {
    throw invalid(scope, field, EXPECTED, input);
  }
  return ms;
}

/** The canonical form itself, `2026-03-30T07:30:00.000Z`: what the log and planners produce. */
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Like {@link readInstantMs}, returned in the domain's canonical `toISOString()` form. */
export function readInstant(input: unknown, scope: InputScope, field: string): IsoInstant {
  // Fast path: most instants arrive already canonical (occurrences planned by the runtime).
  // `Date.parse` of that exact shape is well defined; printing it back equal proves the
  // date was real (no February 30th) and in range.
  if (typeof input === 'string' && CANONICAL.test(input)) {
    const ms = Date.parse(input);
    if (Number.isFinite(ms) && new Date(ms).toISOString() === input) return input;
  }
  return new Date(readInstantMs(input, scope, field)).toISOString();
}

/**
 * Turns an untrusted instant (a `Date`, epoch milliseconds, or an ISO-8601 string with `Z` or
 * an offset) into the canonical UTC string every domain value uses.
 * @throws ValidationError (`planflow:invalid-input`) for invalid dates, NaN, non-integer
 * numbers and strings without an offset.
 * @example
 * parseInstant('2026-03-29T09:30:00+02:00'); // '2026-03-29T07:30:00.000Z'
 */
export function parseInstant(input: unknown, field = 'instant'): IsoInstant {
  return readInstant(input, DEFAULT_SCOPE, field);
}
