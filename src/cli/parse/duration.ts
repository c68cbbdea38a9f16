import { inputError } from '../exitCodes.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** Longest duration accepted: 10 years, far beyond any sensible interval, well inside 2^53. */
const MAX_MS = 3650 * 86_400_000;

/**
 * Reads a duration the way people type it: `90s`, `15m`, `2h`, `1d`, combinations such as
 * `1h30m`, or plain milliseconds (`1500`). Fractions are allowed (`1.5h`) as long as the
 * result is a whole number of milliseconds.
 * @param flag Named in the error message, e.g. `--every`.
 * @throws ValidationError (`planflow:invalid-input`) naming the flag and the value.
 * @example
 * parseDuration('1h30m', '--every'); // 5_400_000
 */
export function parseDuration(text: string, flag: string): number {
  const value = text.trim().toLowerCase();
  let ms: number | undefined;
  if (/^\d+$/.test(value)) ms = Number(value);
  else if (WHOLE.test(value)) {
    ms = 0;
    for (const [, amount, unit] of value.matchAll(PART)) {
      ms += Number(amount) * (UNIT_MS[unit ?? 'ms'] ?? 1);
    }
  }
  if (ms === undefined || !Number.isSafeInteger(ms) || ms > MAX_MS) {
    throw inputError(
      flag,
      `${flag} must be a duration such as 90s, 15m, 2h, 1d, 1h30m or a number of milliseconds (whole ms, at most 3650d), got ${JSON.stringify(text)}`,
    );
  }
  return ms;
}

/**
 * Formats milliseconds for people: `850ms`, `12s`, `1m30s`, `2h`, `1d4h`. Zero parts are
 * left out and at most two units are shown, which is all a status line needs.
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const parts: string[] = [];
  let rest = Math.round(ms / 1000) * 1000;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0 && parts.length < 2) {
      parts.push(`${n}${unit}`);
      rest -= n * size;
    } else if (parts.length > 0) {
      break;
    }
  }
  return parts.join('');
}
