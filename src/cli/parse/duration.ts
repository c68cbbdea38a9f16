import { inputError } from '../exitCodes.js';

/** Unit words people type, by the length in ms each stands for. */
const UNITS: ReadonlyArray<readonly [ms: number, words: readonly string[]]> = [
  [1, ['ms', 'msec', 'msecs', 'millisecond', 'milliseconds']],
  [1000, ['s', 'sec', 'secs', 'second', 'seconds']],
  [60_000, ['m', 'min', 'mins', 'minute', 'minutes']],
  [3_600_000, ['h', 'hr', 'hrs', 'hour', 'hours']],
  [86_400_000, ['d', 'day', 'days']],
  [604_800_000, ['w', 'wk', 'wks', 'week', 'weeks']],
];
const UNIT_MS: ReadonlyMap<string, number> = new Map(
  UNITS.flatMap(([ms, words]) => words.map((w) => [w, ms] as const)),
);
/** Months and years have no fixed length; a calendar rule says what is meant. */
const CALENDAR_UNIT = /^(mo|mos|mon|mons|month|months|y|yr|yrs|year|years)$/;

/** One `amount unit` pair, e.g. `1.5h`, `2 hours`, `30 min`, optionally comma- or and-joined. */
const PART = /\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*(?:,|\band\b)?/y;

/** Longest duration accepted: 10 years, far beyond any sensible interval, well inside 2^53. */
const MAX_MS = 3650 * 86_400_000;

const EXAMPLES = '90s, 5min, 2h, 2 hours, 1d or 1h30m';

/**
 * Reads a duration the way people type it: an amount and a unit (`90s`, `15m`, `5min`,
 * `2 hours`, `1d`, `1w`), or several (`1h30m`, `1 hour 30 minutes`). Fractions are allowed
 * (`1.5h`) as long as the result is a whole number of milliseconds. A bare number is refused:
 * `15` could mean seconds or minutes (it used to mean milliseconds, which ran `--at +15` at
 * once). Months and years are refused too, having no fixed length.
 * @param flag Named in the error message, e.g. `--every`.
 * @throws ValidationError (`planflow:invalid-input`) naming the flag, the value and the fix.
 * @example
 * parseDuration('1h30m', '--every'); // 5_400_000
 * parseDuration('2 hours', '--every'); // 7_200_000
 */
export function parseDuration(text: string, flag: string): number {
  const value = text.trim().toLowerCase();
  if (/^\d+(?:\.\d+)?$/.test(value)) {
    throw inputError(
      flag,
      `${flag} needs a unit: ${JSON.stringify(text)} could be seconds, minutes or hours; write ${value}s, ${value}min or ${value}h`,
    );
  }
  let ms = 0;
  let parts = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < value.length) {
    const match = PART.exec(value);
    if (match === null) break;
    const [, amount = '', unit = ''] = match;
    const size = UNIT_MS.get(unit);
    if (size === undefined) {
      const hint = CALENDAR_UNIT.test(unit)
        ? `months and years have no fixed length; use --cron or --rrule for calendar dates`
        : `units are ms, s, min, h, d and w (or their names, e.g. "minutes")`;
      throw inputError(
        flag,
        `${flag}: unknown unit ${JSON.stringify(unit)} in ${JSON.stringify(text)}; ${hint}`,
      );
    }
    ms += Number(amount) * size;
    parts += 1;
  }
  if (parts === 0 || PART.lastIndex !== value.length || !Number.isSafeInteger(ms) || ms > MAX_MS) {
    throw inputError(
      flag,
      `${flag} must be a duration such as ${EXAMPLES} (whole ms, at most 3650d), got ${JSON.stringify(text)}`,
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
