import type { WallTime } from './types.js';

/** Minutes in a day; `"24:00"` (end of day) maps to this. */
export const MINUTES_PER_DAY = 1440;

const WALL_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * True for a strict `"HH:MM"` (00:00–23:59), or `"24:00"` when `allowEndOfDay` is set —
 * only a working day's `end` may use it, to mean "until midnight".
 */
export function isWallTime(value: string, allowEndOfDay = false): boolean {
  return WALL_TIME.test(value) || (allowEndOfDay && value === '24:00');
}

/**
 * Minute of the day of a wall time (`"09:30"` → 570). Planners compare minutes rather than
 * strings so that `"24:00"` and arithmetic on slot times stay simple.
 */
export function wallTimeToMinutes(value: WallTime): number {
  const hours = Number(value.slice(0, 2));
  const minutes = Number(value.slice(3, 5));
  return hours * 60 + minutes;
}

/** The `"HH:MM"` form of a minute of the day (570 → `"09:30"`). */
export function minutesToWallTime(minuteOfDay: number): WallTime {
  const h = Math.floor(minuteOfDay / 60);
  const m = minuteOfDay % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}
