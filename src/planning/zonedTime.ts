import type { LocalDate, Weekday } from '../domain/types.js';
import { DAY_MS, dayNumberOf, localDateOf, weekdayOf } from './civilDate.js';
import { offsetMs } from './timeZoneOffset.js';

const MINUTE_MS = 60_000;

/** What a wall clock in a zone shows at an instant. */
export type ZonedParts = Readonly<{
  /** Days since 1970-01-01 of the local date. */
  dayNumber: number;
  localDate: LocalDate;
  weekday: Weekday;
  /** Milliseconds since local midnight (a minute of the day is `msOfDay / 60 000`). */
  msOfDay: number;
  minuteOfDay: number;
}>;

/**
 * The local date, weekday and time of day at instant `ms` in `timeZone`. Every wall-clock
 * rule of the calendar (working hours, holidays, the cap per day) is judged on these values,
 * so "Monday 09:00" means 09:00 on the zone's clock in winter and in summer alike.
 */
export function zonedParts(ms: number, timeZone: string): ZonedParts {
  const local = ms + offsetMs(ms, timeZone);
  const dayNumber = Math.floor(local / DAY_MS);
  const msOfDay = local - dayNumber * DAY_MS;
  return {
    dayNumber,
    localDate: localDateOf(dayNumber),
    weekday: weekdayOf(dayNumber),
    msOfDay,
    minuteOfDay: Math.floor(msOfDay / MINUTE_MS),
  };
}

/**
 * The instant at which the wall clock in `timeZone` shows `minuteOfDay` on local day
 * `dayNumber` (`minuteOfDay` may be 1440, the next midnight).
 *
 * DST decisions (the same as Temporal's `'compatible'` disambiguation):
 * - **gap** (spring forward, the local time does not exist, e.g. 02:30 in New York on the
 *   second Sunday of March): the instant the wall clock reaches after the jump, shifted
 *   forward by the length of the gap — 02:30 becomes 03:30 local;
 * - **overlap** (fall back, the local time happens twice, e.g. 01:30 in New York on the
 *   first Sunday of November): the earlier of the two instants.
 *
 * Assumes at most one offset change within a day either side, true of every zone today.
 */
export function zonedInstantOfDay(
  dayNumber: number,
  minuteOfDay: number,
  timeZone: string,
): number {
  const wallAsUtc = dayNumber * DAY_MS + minuteOfDay * MINUTE_MS;
  const before = offsetMs(wallAsUtc - DAY_MS, timeZone);
  const after = offsetMs(wallAsUtc + DAY_MS, timeZone);
  const early = wallAsUtc - before;
  if (before === after) return early;
  const late = wallAsUtc - after;
  const earlyValid = offsetMs(early, timeZone) === before;
  const lateValid = offsetMs(late, timeZone) === after;
  if (earlyValid && lateValid) return Math.min(early, late);
  if (earlyValid) return early;
  if (lateValid) return late;
  // In the gap: read the wall time with the offset in force before the jump, which lands
  // exactly the gap's length later on the post-jump clock.
  return early;
}

/**
 * The instant of local date `localDate` at wall time `"HH:MM"` in `timeZone`, with the gap and
 * overlap rules of {@link zonedInstantOfDay}.
 * @example
 * new Date(zonedInstant('2026-03-08', '02:30', 'America/New_York')).toISOString();
 * // '2026-03-08T07:30:00.000Z' — 03:30 EDT, the clock skipped 02:00–03:00
 */
export function zonedInstant(localDate: LocalDate, wallTime: string, timeZone: string): number {
  const minute = Number(wallTime.slice(0, 2)) * 60 + Number(wallTime.slice(3, 5));
  return zonedInstantOfDay(dayNumberOf(localDate), minute, timeZone);
}
