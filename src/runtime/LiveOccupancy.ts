import type { CalendarConfig, Execution } from '../domain/types.js';
import type { Occupancy } from '../planning/ports.js';
import { zonedParts } from '../planning/zonedTime.js';

type Place = Readonly<{ day: string; atMs: number }>;

/** Whether an occurrence holds its place on the calendar: it is still planned, or it ran. */
export function holdsPlace(execution: Execution): boolean {
  return execution.state === 'scheduled' || execution.triggered;
}

/**
 * The scheduler's calendar occupancy, kept up to date as the log grows instead of being
 * recomputed from every occurrence for each planning decision. `sync` is called with an
 * occurrence's execution after each of its events; a new calendar re-indexes everything
 * (the local date of an instant depends on the zone).
 */
export class LiveOccupancy implements Occupancy {
  #timeZone: string;
  readonly #places = new Map<string, Place>();
  readonly #perDay = new Map<string, number>();
  readonly #perInstant = new Map<number, number>();

  constructor(calendar: CalendarConfig) {
    this.#timeZone = calendar.timeZone;
  }

  /** Re-indexes for a (possibly) new calendar zone from the executions given. */
  reset(calendar: CalendarConfig, executions: Iterable<Execution>): void {
    this.#timeZone = calendar.timeZone;
    this.#places.clear();
    this.#perDay.clear();
    this.#perInstant.clear();
    for (const execution of executions) this.sync(execution);
  }

  /** Adds, keeps or removes one occurrence according to its current execution record. */
  sync(execution: Execution): void {
    if (holdsPlace(execution)) this.hold(execution.occurrenceId, execution.scheduledFor);
    else this.release(execution.occurrenceId);
  }

  /**
   * Counts an occurrence at `scheduledFor` unless it already holds a place (a recorded
   * occurrence keeps the place it was first recorded at). A batch of decisions calls this
   * (and {@link release}) as it decides, so later decisions of the batch see earlier ones;
   * the fold of the batch's events then finds every place already as it should be.
   */
  hold(occurrenceId: string, scheduledFor: string): void {
    if (this.#places.has(occurrenceId)) return;
    const atMs = Date.parse(scheduledFor);
    const place = { day: zonedParts(atMs, this.#timeZone).localDate, atMs };
    this.#places.set(occurrenceId, place);
    bump(this.#perDay, place.day, 1);
    bump(this.#perInstant, place.atMs, 1);
  }

  /** Frees an occurrence's place, if it holds one. */
  release(occurrenceId: string): void {
    const had = this.#places.get(occurrenceId);
    if (had === undefined) return;
    this.#places.delete(occurrenceId);
    bump(this.#perDay, had.day, -1);
    bump(this.#perInstant, had.atMs, -1);
  }

  countOnDay(localDate: string, excludeId?: string): number {
    const count = this.#perDay.get(localDate) ?? 0;
    const own = excludeId === undefined ? undefined : this.#places.get(excludeId);
    return own?.day === localDate ? count - 1 : count;
  }

  isTaken(atMs: number, excludeId?: string): boolean {
    const count = this.#perInstant.get(atMs) ?? 0;
    const own = excludeId === undefined ? undefined : this.#places.get(excludeId);
    return (own?.atMs === atMs ? count - 1 : count) > 0;
  }
}

function bump<K>(counts: Map<K, number>, key: K, delta: number): void {
  const next = (counts.get(key) ?? 0) + delta;
  if (next === 0) counts.delete(key);
  else counts.set(key, next);
}
