import { isPlanflowError } from '../../domain/errors.js';
import type { IsoInstant } from '../../domain/types.js';
import { parseInstant } from '../../domain/validateInstant.js';
import { inputError } from '../exitCodes.js';
import { parseDuration } from './duration.js';

/**
 * Reads an instant given on the command line: `now`, a time relative to now (`+15m`, `+2h`,
 * `+1d12h`), or ISO-8601 with `Z` or an offset. A local time without an offset is refused:
 * the same text means different instants on different machines.
 * @param nowMs The clock's now, so relative times are computed from the injected clock.
 * @throws ValidationError (`planflow:invalid-input`) naming the flag and the value.
 * @example
 * parseCliInstant('+15m', '--at', Date.parse('2026-03-02T08:00:00Z')); // '2026-03-02T08:15:00.000Z'
 */
export function parseCliInstant(text: string, flag: string, nowMs: number): IsoInstant {
  const value = text.trim();
  const expected = `${flag} must be "now", a relative time such as "+15m", or ISO-8601 with Z or an offset such as "2026-03-29T09:30:00+02:00"`;
  if (value.toLowerCase() === 'now') return new Date(nowMs).toISOString();
  if (value.startsWith('+')) {
    try {
      return new Date(nowMs + parseDuration(value.slice(1), flag)).toISOString();
    } catch {
      throw inputError(flag, `${expected}, got ${JSON.stringify(text)}`);
    }
  }
  try {
    return parseInstant(value, flag);
  } catch (error) {
    if (!isPlanflowError(error)) throw error;
    throw inputError(flag, `${expected}, got ${JSON.stringify(text)}`);
  }
}
