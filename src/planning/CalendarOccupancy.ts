import { holdsPlace } from '../domain/holdsPlace.js';
import type { CalendarConfig, Execution, Occurrence } from '../domain/types.js';
import type { Occupancy } from './ports.js';
import { zonedParts } from './zonedTime.js';

/**
 * The one {@link Occupancy} implementation: how many occurrences fall on each local date of
 * the calendar's zone and which instants are taken, kept up to date place by place instead
 * of being recomputed from every occurrence for each decision.
 *
 * Three users: the scheduler keeps one in step with its log (`sync` after each folded
 * occurrence event, `rezone` when the calendar changes, since the local date of an instant
 * depends on the zone, `forgetBefore` as days pass); a planner that places several occurrences in one call layers one
 * over the caller's (`base`) so they do not collide with each other; and
 * {@link occupancyOf} builds one from a plain list.
 */
export class CalendarOccupancy implements Occupancy {
  #calendar: CalendarConfig;
  readonly #base: Occupancy | undefined;
  /**
   * The instant each occurrence holds, by id. Its local date is derived when needed (on
   * release, or to exclude an occurrence's own place) rather than kept per place: a scheduler
   * can hold hundreds of thousands of places, and a date string each cost about 50 bytes.
   */
  readonly #places = new Map<string, number>();
  readonly #perDay = new Map<string, number>();
  /**
   * Occupied instants and how many hold each, kept only while the calendar keeps instants
   * exclusive (the only rule that asks); otherwise {@link isTaken} looks through the places.
   */
  readonly #perInstant = new Map<number, number>();
  #countsInstants: boolean;
  /** While {@link undoOnFailure} runs: each change as [id, the instant it held (if freed)]. */
  #journal: [string, number | undefined][] | undefined;

  /** An empty occupancy in `calendar`'s zone, counted on top of `base` when given. */
  constructor(calendar: CalendarConfig, base?: Occupancy) {
    this.#calendar = calendar;
    this.#base = base;
    this.#countsInstants = calendar.exclusiveInstants !== false;
  }

  /** The calendar whose days and instants are counted. */
  get calendar(): CalendarConfig {
    return this.#calendar;
  }

  /**
   * Re-indexes the places held for a (possibly) new calendar: the local date of an instant
   * depends on the zone, so every place is counted again in the new one.
   */
  rezone(calendar: CalendarConfig): void {
    const places = [...this.#places];
    this.#calendar = calendar;
    this.#countsInstants = calendar.exclusiveInstants !== false;
    this.#places.clear();
    this.#perDay.clear();
    this.#perInstant.clear();
    for (const [id, atMs] of places) this.#take(id, atMs);
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
    this.#journal?.push([occurrenceId, undefined]);
    this.#take(occurrenceId, Date.parse(scheduledFor));
  }

  #dayOf(atMs: number): string {
    return zonedParts(atMs, this.#calendar.timeZone).localDate;
  }

  #take(occurrenceId: string, atMs: number): void {
    this.#places.set(occurrenceId, atMs);
    bump(this.#perDay, this.#dayOf(atMs), 1);
    if (this.#countsInstants) bump(this.#perInstant, atMs, 1);
  }

  #drop(occurrenceId: string, atMs: number): void {
    this.#places.delete(occurrenceId);
    bump(this.#perDay, this.#dayOf(atMs), -1);
    if (this.#countsInstants) bump(this.#perInstant, atMs, -1);
  }

  /** Frees an occurrence's place, if it holds one. */
  release(occurrenceId: string): void {
    const atMs = this.#places.get(occurrenceId);
    if (atMs === undefined) return;
    this.#journal?.push([occurrenceId, atMs]);
    this.#drop(occurrenceId, atMs);
  }

  /**
   * Forgets every place before `beforeMs`. The planners place occurrences from now on, so a
   * long-running scheduler keeps only the days that can still matter (the caller keeps a
   * margin of a day or more for the calendar's zone) instead of every place ever held.
   */
  forgetBefore(beforeMs: number): void {
    for (const [id, atMs] of this.#places) {
      if (atMs < beforeMs) this.#drop(id, atMs);
    }
  }

  /** How many occurrences hold a place. */
  get size(): number {
    return this.#places.size;
  }

  /**
   * Runs `decide`, and puts every place it took or freed back as it was when `decide`
   * throws — for a batch of decisions that must be recorded whole or not at all.
   */
  async undoOnFailure<T>(decide: () => Promise<T>): Promise<T> {
    const outer = this.#journal;
    const journal: [string, number | undefined][] = [];
    this.#journal = journal;
    try {
      return await decide();
    } catch (error) {
      this.#journal = undefined;
      for (let i = journal.length - 1; i >= 0; i--) {
        const [id, atMs] = journal[i]!;
        if (atMs === undefined) this.release(id);
        else if (!this.#places.has(id)) this.#take(id, atMs);
      }
      journal.length = 0;
      throw error;
    } finally {
      this.#journal = outer;
      outer?.push(...journal);
    }
  }

  countOnDay(localDate: string, excludeId?: string): number {
    const count = this.#perDay.get(localDate) ?? 0;
    const own = excludeId === undefined ? undefined : this.#places.get(excludeId);
    const mine = own !== undefined && this.#dayOf(own) === localDate ? count - 1 : count;
    return mine + (this.#base?.countOnDay(localDate, excludeId) ?? 0);
  }

  isTaken(atMs: number, excludeId?: string): boolean {
    return this.#takenHere(atMs, excludeId) || (this.#base?.isTaken(atMs, excludeId) ?? false);
  }

  #takenHere(atMs: number, excludeId: string | undefined): boolean {
    const own = excludeId === undefined ? undefined : this.#places.get(excludeId);
    if (this.#countsInstants) {
      const count = this.#perInstant.get(atMs) ?? 0;
      return (own === atMs ? count - 1 : count) > 0;
    }
    for (const [id, held] of this.#places) if (held === atMs && id !== excludeId) return true;
    return false;
  }
}

/**
 * The occupancy of a plain list of occurrences. The list is read once and not kept; an
 * occurrence listed twice (same id) counts once. Callers pass only occurrences that still
 * hold their place (not cancelled or skipped).
 * @example
 * const ctx = { calendar, occupancy: occupancyOf(pending, calendar) };
 */
export function occupancyOf(
  occurrences: Iterable<Occurrence>,
  calendar: CalendarConfig,
): CalendarOccupancy {
  const occupancy = new CalendarOccupancy(calendar);
  for (const occurrence of occurrences) occupancy.hold(occurrence.id, occurrence.scheduledFor);
  return occupancy;
}

function bump<K>(counts: Map<K, number>, key: K, delta: number): void {
  const next = (counts.get(key) ?? 0) + delta;
  if (next === 0) counts.delete(key);
  else counts.set(key, next);
}
