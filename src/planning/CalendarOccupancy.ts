import { holdsPlace } from '../domain/holdsPlace.js';
import { QUARTER_HOUR_MS } from '../domain/quarterHour.js';
import type { CalendarConfig, Execution, Occurrence } from '../domain/types.js';
import type { Occupancy } from './ports.js';
import { zonedParts } from './zonedTime.js';

/**
 * Places held by occurrences an occupancy does not name (a windowed live set leaves the
 * far-future waiting ones in the store): how many per UTC quarter of an hour (its start),
 * and, when known, their exact instants, one per place.
 */
export type UnnamedPlaces = Readonly<{
  quarters: readonly (readonly [startMs: number, count: number])[];
  instants?: readonly number[];
}>;

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
  /**
   * Places held by occurrences not named here (a windowed live set leaves far-future waiting
   * ones in the store): how many per quarter of an hour, for the count per local date (no
   * quarter straddles a local midnight in any zone of today), and — while the calendar keeps
   * instants exclusive — how many at each instant. Each is named once it is adopted.
   */
  readonly #unnamedQuarters = new Map<number, number>();
  /** The unnamed places' instants; undefined while they were not read. */
  #unnamedInstants: Map<number, number> | undefined;
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
    const unnamed = this.#unnamed();
    this.#clear(calendar);
    for (const [id, atMs] of places) this.#take(id, atMs);
    this.holdUnnamed(unnamed);
  }

  /**
   * Forgets every place, named or not, and counts from now on in `calendar`: for a rebuild
   * from scratch (the live model it was kept in step with was replaced). A batch of
   * decisions running meanwhile has nothing left to put back.
   */
  reset(calendar: CalendarConfig): void {
    this.#clear(calendar);
    if (this.#journal !== undefined) this.#journal.length = 0;
  }

  #clear(calendar: CalendarConfig): void {
    this.#calendar = calendar;
    this.#countsInstants = calendar.exclusiveInstants !== false;
    this.#places.clear();
    this.#perDay.clear();
    this.#perInstant.clear();
    this.#unnamedQuarters.clear();
    this.#unnamedInstants = undefined;
  }

  /** The unnamed places as counted now. */
  #unnamed(): UnnamedPlaces {
    const quarters = [...this.#unnamedQuarters];
    const instants = this.#unnamedInstants;
    if (instants === undefined) return { quarters };
    const list: number[] = [];
    for (const [atMs, count] of instants) for (let i = 0; i < count; i++) list.push(atMs);
    return { quarters, instants: list };
  }

  #clearUnnamed(): void {
    for (const [startMs, count] of this.#unnamedQuarters) {
      bump(this.#perDay, this.#dayOf(startMs), -count);
    }
    this.#unnamedQuarters.clear();
    if (this.#unnamedInstants !== undefined && this.#countsInstants) {
      for (const [atMs, count] of this.#unnamedInstants) bump(this.#perInstant, atMs, -count);
    }
    this.#unnamedInstants = undefined;
  }

  /**
   * Counts places held by occurrences this occupancy does not name (the waiting ones a
   * windowed live set leaves in the store), on top of those it counts already. Their local
   * dates are worked out once per quarter of an hour.
   */
  holdUnnamed(places: UnnamedPlaces): void {
    for (const [startMs, count] of places.quarters) {
      if (count <= 0) continue;
      bump(this.#unnamedQuarters, startMs, count);
      bump(this.#perDay, this.#dayOf(startMs), count);
    }
    if (places.instants === undefined) return;
    this.#unnamedInstants ??= new Map();
    for (const atMs of places.instants) {
      bump(this.#unnamedInstants, atMs, 1);
      if (this.#countsInstants) bump(this.#perInstant, atMs, 1);
    }
  }

  /**
   * True when the calendar keeps instants exclusive, places are counted unnamed, and their
   * instants were not read: {@link recountUnnamed} with instants before the next decision.
   */
  get needsUnnamedInstants(): boolean {
    return (
      this.#countsInstants && this.#unnamedQuarters.size > 0 && this.#unnamedInstants === undefined
    );
  }

  /**
   * Names one of the places counted unnamed: the occurrence at `scheduledFor` was adopted,
   * so its own place is known (and can be excluded, moved or freed). Counted anew when no
   * unnamed place is left in its quarter.
   */
  adoptUnnamed(occurrenceId: string, scheduledFor: string): void {
    if (this.#places.has(occurrenceId)) return;
    const atMs = Date.parse(scheduledFor);
    const quarter = atMs - (atMs % QUARTER_HOUR_MS);
    if ((this.#unnamedQuarters.get(quarter) ?? 0) === 0) {
      this.#take(occurrenceId, atMs);
      return;
    }
    bump(this.#unnamedQuarters, quarter, -1);
    const instants = this.#unnamedInstants;
    if (instants !== undefined && (instants.get(atMs) ?? 0) > 0) bump(instants, atMs, -1);
    this.#places.set(occurrenceId, atMs);
  }

  /**
   * Replaces every unnamed place with a recount: `places` as the store counts them, less the
   * places at `namedMs` that this occupancy names although the store counted them too.
   */
  recountUnnamed(places: UnnamedPlaces, namedMs: readonly number[]): void {
    this.#clearUnnamed();
    const quarters = new Map(places.quarters);
    for (const atMs of namedMs) bump(quarters, atMs - (atMs % QUARTER_HOUR_MS), -1);
    let instants: number[] | undefined;
    if (places.instants !== undefined) {
      const named = new Map<number, number>();
      for (const atMs of namedMs) bump(named, atMs, 1);
      instants = places.instants.filter((atMs) => {
        const left = named.get(atMs) ?? 0;
        if (left === 0) return true;
        bump(named, atMs, -1);
        return false;
      });
    }
    const recounted = [...quarters].filter(([, count]) => count > 0);
    this.holdUnnamed(
      instants === undefined ? { quarters: recounted } : { quarters: recounted, instants },
    );
  }

  /** True when the occurrence holds a place here by name. */
  holds(occurrenceId: string): boolean {
    return this.#places.has(occurrenceId);
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
    // `forEach`, not `for…of` over entries: a sweep visits every place held, and each entry
    // pair the iterator hands out is an allocation (a fifth of a megabyte per 10 000 places).
    this.#places.forEach((atMs, id) => {
      if (atMs < beforeMs) this.#drop(id, atMs);
    });
    for (const [startMs, count] of this.#unnamedQuarters) {
      if (startMs + QUARTER_HOUR_MS > beforeMs) continue;
      this.#unnamedQuarters.delete(startMs);
      bump(this.#perDay, this.#dayOf(startMs), -count);
    }
    const instants = this.#unnamedInstants;
    if (instants === undefined) return;
    for (const [atMs, count] of instants) {
      if (atMs >= beforeMs) continue;
      instants.delete(atMs);
      if (this.#countsInstants) bump(this.#perInstant, atMs, -count);
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
    if ((this.#unnamedInstants?.get(atMs) ?? 0) > 0) return true;
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
