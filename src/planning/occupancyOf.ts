import type { CalendarConfig, Occurrence } from '../domain/types.js';
import type { Occupancy } from './ports.js';
import { zonedParts } from './zonedTime.js';

type Place = Readonly<{ day: string; atMs: number }>;

/**
 * An {@link Occupancy} that can take more occurrences after it was built. Recovery plans a
 * batch through one of these so the occurrences it creates do not collide with each other;
 * it is private to the planning call that owns it, never shared.
 */
export class GrowingOccupancy implements Occupancy {
  readonly #timeZone: string;
  readonly #base: Occupancy | undefined;
  readonly #perDay = new Map<string, number>();
  readonly #perInstant = new Map<number, number>();
  readonly #places = new Map<string, Place>();

  constructor(calendar: CalendarConfig, base?: Occupancy) {
    this.#timeZone = calendar.timeZone;
    this.#base = base;
  }

  /** Counts `occurrence` (once per id, however often it is added). */
  add(occurrence: Occurrence): void {
    if (this.#places.has(occurrence.id)) return;
    const atMs = Date.parse(occurrence.scheduledFor);
    const day = zonedParts(atMs, this.#timeZone).localDate;
    this.#places.set(occurrence.id, { day, atMs });
    this.#perDay.set(day, (this.#perDay.get(day) ?? 0) + 1);
    this.#perInstant.set(atMs, (this.#perInstant.get(atMs) ?? 0) + 1);
  }

  countOnDay(localDate: string, excludeId?: string): number {
    let count = this.#perDay.get(localDate) ?? 0;
    if (excludeId !== undefined && this.#places.get(excludeId)?.day === localDate) count -= 1;
    return count + (this.#base?.countOnDay(localDate, excludeId) ?? 0);
  }

  isTaken(atMs: number, excludeId?: string): boolean {
    let count = this.#perInstant.get(atMs) ?? 0;
    if (excludeId !== undefined && this.#places.get(excludeId)?.atMs === atMs) count -= 1;
    return count > 0 || (this.#base?.isTaken(atMs, excludeId) ?? false);
  }
}

/**
 * The occupancy of a plain list of occurrences: how many fall on each local date of the
 * calendar's zone, and which instants are taken. The list is read once and not kept; an
 * occurrence listed twice (same id) counts once. Callers pass only occurrences that still
 * hold their place (not cancelled or skipped).
 * @example
 * const ctx = { calendar, occupancy: occupancyOf(pending, calendar) };
 */
export function occupancyOf(
  occurrences: Iterable<Occurrence>,
  calendar: CalendarConfig,
): Occupancy {
  const occupancy = new GrowingOccupancy(calendar);
  for (const occurrence of occurrences) occupancy.add(occurrence);
  return occupancy;
}
