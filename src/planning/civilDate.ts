import { type LocalDate, WEEKDAYS, type Weekday } from '../domain/types.js';

/** Milliseconds in a civil day (local days are counted, not measured: DST does not apply). */
export const DAY_MS = 86_400_000;

/**
 * Day number of a proleptic Gregorian date: days since 1970-01-01. Planners iterate over
 * day numbers instead of strings or Dates, so "the next day" is `n + 1` with no zone maths.
 */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The `[year, month, day]` of a day number (inverse of {@link daysFromCivil}). */
export function civilFromDays(dayNumber: number): [number, number, number] {
  const z = dayNumber + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

const dateCache = new Map<number, LocalDate>();

/**
 * `"YYYY-MM-DD"` of a day number. Memoised because occupancy is keyed by these strings and
 * the same few hundred days are asked for over and over.
 */
export function localDateOf(dayNumber: number): LocalDate {
  let text = dateCache.get(dayNumber);
  if (text === undefined) {
    const [y, m, d] = civilFromDays(dayNumber);
    text = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
    if (dateCache.size >= 10_000) dateCache.clear();
    dateCache.set(dayNumber, text);
  }
  return text;
}

/** Day number of a `"YYYY-MM-DD"` string (assumed valid: it comes from a validated value). */
export function dayNumberOf(localDate: LocalDate): number {
  return daysFromCivil(
    Number(localDate.slice(0, 4)),
    Number(localDate.slice(5, 7)),
    Number(localDate.slice(8, 10)),
  );
}

/** Weekday of a day number; day 0 (1970-01-01) was a Thursday. */
export function weekdayOf(dayNumber: number): Weekday {
  return WEEKDAYS[(((dayNumber + 3) % 7) + 7) % 7] as Weekday;
}
