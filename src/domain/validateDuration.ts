import { invalidOption } from './validateOptions.js';

/** Milliseconds per unit word of a duration option. */
const UNIT_MS: ReadonlyMap<string, number> = new Map(
  (
    [
      [1, ['ms']],
      [1000, ['s', 'sec', 'second', 'seconds']],
      [60_000, ['m', 'min', 'minute', 'minutes']],
      [3_600_000, ['h', 'hour', 'hours']],
      [86_400_000, ['d', 'day', 'days']],
      [604_800_000, ['w', 'week', 'weeks']],
    ] as const
  ).flatMap(([ms, words]) => words.map((word) => [word, ms] as const)),
);

/** One `amount unit` pair: `90d`, `12 h`, `1.5 hours`. */
const PART = /\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*/y;

/** Longest duration accepted: 100 years, far beyond any retention, well inside 2^53 ms. */
const MAX_MS = 36_500 * 86_400_000;

const FORM =
  "milliseconds (a whole number ≥ 0) or a duration with units such as '90d', '12h', '1h30m' or '2 weeks'";

/**
 * Reads a duration option: whole milliseconds, or text with units (`ms`, `s`, `m`/`min`,
 * `h`, `d`, `w` or their names), several of them summed (`1d12h`). Months and years are
 * refused, having no fixed length.
 * @throws ValidationError (`planflow:invalid-options`) naming `component`, `field` and the forms accepted.
 * @example
 * parseDurationOption('sqliteStore', 'retention.keepFinishedFor', '90d'); // 7_776_000_000
 */
export function parseDurationOption(component: string, field: string, value: unknown): number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0 && value <= MAX_MS) return value;
    throw invalidOption(component, field, FORM, value);
  }
  if (typeof value !== 'string') throw invalidOption(component, field, FORM, value);
  const text = value.trim().toLowerCase();
  let ms = 0;
  let parts = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text);
    if (match === null) break;
    const size = UNIT_MS.get(match[2] ?? '');
    if (size === undefined) {
      throw invalidOption(
        component,
        field,
        FORM,
        value,
        `Unknown unit "${match[2]}": months and years have no fixed length, write days (e.g. '365d').`,
      );
    }
    ms += Number(match[1]) * size;
    parts++;
  }
  if (parts === 0 || PART.lastIndex !== text.length || !Number.isSafeInteger(ms) || ms > MAX_MS) {
    throw invalidOption(component, field, FORM, value);
  }
  return ms;
}
