import { isPlanflowError } from '../../domain/errors.js';
import type { IsoInstant } from '../../domain/types.js';
import { parseInstant } from '../../domain/validateInstant.js';
import { inputError } from '../exitCodes.js';
import { parseDuration } from './duration.js';
import { readNaturalInstant } from './naturalInstant.js';

/** ISO-8601 date and time with no `Z` or offset: `2026-03-29T09:30`. */
const LOCAL_ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/i;

/**
 * Reads an instant given on the command line: `now`; a time relative to now with a unit
 * (`+15s`, `+5min`, `+2 hours`, `+1d12h`); ISO-8601 with `Z` or an offset; or words such as
 * `tomorrow 09:00`, `in 2 hours`, `next monday 9am`, `march 30 10:30`, read by chrono-node and
 * placed on the wall clock of `timeZone` (the calendar's, or `--tz`). A bare ISO date and time
 * (`2026-03-29T09:30`) is refused: people who write that form mean an exact instant, and the
 * offset says which. Whether the instant is in the past is the caller's decision.
 * @param nowMs The clock's now, so relative times are computed from the injected clock.
 * @param timeZone The zone whose calendar days and wall clock words refer to. @default 'UTC'
 * @throws ValidationError (`planflow:invalid-input`) naming the flag, the value and the fix.
 * @example
 * parseCliInstant('+15min', '--at', Date.parse('2026-03-02T08:00:00Z')); // '2026-03-02T08:15:00.000Z'
 * parseCliInstant('tomorrow 09:00', '--at', Date.parse('2026-03-02T08:00:00Z'), 'Europe/Berlin');
 * // '2026-03-03T08:00:00.000Z'
 */
export function parseCliInstant(
  text: string,
  flag: string,
  nowMs: number,
  timeZone = 'UTC',
): IsoInstant {
  const value = text.trim();
  const expected = `${flag} must be "now", a relative time such as "+15min", words such as "tomorrow 09:00", or ISO-8601 with Z or an offset such as "2026-03-29T09:30:00+02:00"`;
  if (value.toLowerCase() === 'now') return new Date(nowMs).toISOString();
  if (value.startsWith('+')) {
    const amount = value.slice(1).trim();
    if (/^\d+(?:\.\d+)?$/.test(amount)) {
      throw inputError(
        flag,
        `${flag} ${JSON.stringify(text)} needs a unit: write +${amount}s, +${amount}min or +${amount}h`,
      );
    }
    try {
      return new Date(nowMs + parseDuration(amount, flag)).toISOString();
    } catch {
      throw inputError(flag, `${expected}, got ${JSON.stringify(text)}`);
    }
  }
  if (/^\d{4}-\d{2}-\d{2}T/i.test(value)) {
    if (LOCAL_ISO.test(value)) {
      throw inputError(
        flag,
        `${expected}, got ${JSON.stringify(text)} (add Z or an offset, e.g. "${value}+02:00", or write it in words, e.g. "${value.replace(/T/i, ' ')}", to mean the calendar's zone)`,
      );
    }
    try {
      return parseInstant(value, flag);
    } catch (error) {
      if (!isPlanflowError(error)) throw error;
      throw inputError(flag, `${expected}, got ${JSON.stringify(text)}`);
    }
  }
  const natural = readNaturalInstant(value, nowMs, timeZone);
  if (typeof natural === 'string') {
    throw inputError(flag, `${expected}, got ${JSON.stringify(text)} (${natural})`);
  }
  return new Date(natural).toISOString();
}
