import type { PlacementReason, Priority } from '../domain/types.js';
import { type CalendarDay, type Candidate, calendarDay } from './calendarDays.js';
import { DAY_MS } from './civilDate.js';
import type { CalendarPlanner, Placement, PlanningContext, SlotSearchOptions } from './ports.js';
import { zonedParts } from './zonedTime.js';

/** Days `nextAvailableSlot` searches when the caller does not say. */
export const DEFAULT_WINDOW_DAYS = 14;
const MINUTE_MS = 60_000;

type Search = Readonly<{
  afterMs: number;
  limitMs: number;
  ctx: PlanningContext;
  excludeId: string | undefined;
}>;

function hasRoom(day: CalendarDay, ctx: PlanningContext, excludeId: string | undefined): boolean {
  const cap = ctx.calendar.maxPerDay;
  return cap === undefined || ctx.occupancy.countOnDay(day.localDate, excludeId) < cap;
}

/** Whether another occurrence already starts at `atMs` and the calendar forbids sharing it. */
function isTaken(ctx: PlanningContext, atMs: number, excludeId: string | undefined): boolean {
  return ctx.calendar.exclusiveInstants !== false && ctx.occupancy.isTaken(atMs, excludeId);
}

function usable(c: Candidate, s: Search): boolean {
  return c.atMs > s.afterMs && c.atMs <= s.limitMs && !isTaken(s.ctx, c.atMs, s.excludeId);
}

/**
 * A day that does not restrict slots and has no pool slot inside its hours offers every whole
 * minute of its hours; the first free one after `afterMs` is taken.
 */
function firstFreeMinute(day: CalendarDay, s: Search): number | undefined {
  const zone = s.ctx.calendar.timeZone;
  let at = Math.max(day.openMs, (Math.floor(s.afterMs / MINUTE_MS) + 1) * MINUTE_MS);
  const end = Math.min(day.closeMs, s.limitMs + 1);
  for (; at < end; at += MINUTE_MS) {
    if (isTaken(s.ctx, at, s.excludeId)) continue;
    const local = zonedParts(at, zone);
    if (
      local.dayNumber === day.dayNumber &&
      local.msOfDay >= day.startMsOfDay &&
      local.msOfDay < day.endMsOfDay
    ) {
      return at;
    }
  }
  return undefined;
}

function toPlacement(atMs: number, slotId?: string): Placement {
  const at = new Date(atMs).toISOString();
  return Object.freeze(slotId === undefined ? { at } : { at, slotName: slotId });
}

/** Lower is better: position in the preference list, unlisted slots after all listed ones. */
function preferenceOf(slotId: string, preferred: readonly string[]): number {
  const i = preferred.indexOf(slotId);
  return i === -1 ? preferred.length : i;
}

/**
 * The default {@link CalendarPlanner}: the seed's rules, judged on the calendar zone's wall
 * clock. A time is available when its local date is a working day (the weekday has hours and
 * the date is no holiday), its local time lies in `[start, end)`, the day is under
 * `maxPerDay`, no other occurrence sits at exactly that instant and — when the day lists
 * `slots` — it is one of those slots' starts.
 *
 * What `priority` does in {@link nextAvailableSlot} (preferred slots matter only when given):
 * - `high`: the earliest available candidate in the window; preference only breaks ties;
 * - `medium` (default): the first day with any available candidate, and on that day the
 *   preferred slots (in preference order) before the others;
 * - `low`: the earliest available preferred slot anywhere in the window; only when none is
 *   free, the earliest available candidate of any slot. Low-priority work waits for its
 *   favourite slot rather than taking a slot someone else might want.
 *
 * Stateless apart from memoised calendar days; one instance can serve every calendar.
 */
export class DefaultCalendarPlanner implements CalendarPlanner {
  isSlotAvailable(at: Date, ctx: PlanningContext, excludeId?: string): boolean {
    return this.#fits(at, ctx, excludeId, true);
  }

  isPinnedTimeValid(at: Date, ctx: PlanningContext, excludeId?: string): boolean {
    return this.#fits(at, ctx, excludeId, false);
  }

  /** The first of the rules {@link isSlotAvailable} checks that `at` breaks, in that order. */
  whyUnavailable(at: Date, ctx: PlanningContext, excludeId?: string): PlacementReason | undefined {
    const atMs = at.getTime();
    if (Number.isNaN(atMs)) return 'calendar';
    const local = zonedParts(atMs, ctx.calendar.timeZone);
    const day = calendarDay(ctx.calendar, local.dayNumber);
    if (day.closed) {
      return (ctx.calendar.holidays ?? []).includes(local.localDate) ? 'holiday' : 'working-hours';
    }
    if (local.msOfDay < day.startMsOfDay || local.msOfDay >= day.endMsOfDay) return 'working-hours';
    if (day.restricted && !day.candidates.some((c) => c.atMs === atMs)) return 'slot';
    if (!hasRoom(day, ctx, excludeId)) return 'cap-per-day';
    if (isTaken(ctx, atMs, excludeId)) return 'instant-taken';
    return undefined;
  }

  nextAvailableSlot(
    after: Date,
    ctx: PlanningContext,
    options: SlotSearchOptions = {},
  ): Placement | undefined {
    const afterMs = after.getTime();
    if (Number.isNaN(afterMs)) return undefined;
    const windowDays = options.windowDays ?? DEFAULT_WINDOW_DAYS;
    const search: Search = {
      afterMs,
      limitMs: afterMs + windowDays * DAY_MS,
      ctx,
      excludeId: options.excludeId,
    };
    const preferred = options.preferredSlots ?? [];
    const priority: Priority = options.priority ?? 'medium';
    if (priority === 'low' && preferred.length > 0) {
      const favourite = this.#scan(search, (day) => this.#pick(day, search, preferred, true));
      if (favourite !== undefined) return favourite;
    }
    return this.#scan(search, (day) =>
      this.#pick(day, search, preferred, false, priority === 'medium'),
    );
  }

  #fits(
    at: Date,
    ctx: PlanningContext,
    excludeId: string | undefined,
    slotsApply: boolean,
  ): boolean {
    const atMs = at.getTime();
    if (Number.isNaN(atMs)) return false;
    const local = zonedParts(atMs, ctx.calendar.timeZone);
    const day = calendarDay(ctx.calendar, local.dayNumber);
    if (day.closed || local.msOfDay < day.startMsOfDay || local.msOfDay >= day.endMsOfDay)
      return false;
    if (slotsApply && day.restricted && !day.candidates.some((c) => c.atMs === atMs)) return false;
    return hasRoom(day, ctx, excludeId) && !isTaken(ctx, atMs, excludeId);
  }

  /** Walks the local days the window touches, in order, until `pickDay` finds a placement. */
  #scan(
    search: Search,
    pickDay: (day: CalendarDay) => Placement | undefined,
  ): Placement | undefined {
    const zone = search.ctx.calendar.timeZone;
    const first = zonedParts(search.afterMs, zone).dayNumber;
    const last = zonedParts(search.limitMs, zone).dayNumber;
    for (let n = first; n <= last; n += 1) {
      const day = calendarDay(search.ctx.calendar, n);
      if (day.closed || !hasRoom(day, search.ctx, search.excludeId)) continue;
      const placement = pickDay(day);
      if (placement !== undefined) return placement;
    }
    return undefined;
  }

  /**
   * The best candidate of one day. `onlyPreferred` limits it to preferred slots (earliest
   * first); `preferFirst` ranks preferred slots before earlier unpreferred ones (medium).
   */
  #pick(
    day: CalendarDay,
    search: Search,
    preferred: readonly string[],
    onlyPreferred: boolean,
    preferFirst = false,
  ): Placement | undefined {
    let best: Candidate | undefined;
    let bestKey = Number.POSITIVE_INFINITY;
    for (const c of day.candidates) {
      const pref = preferenceOf(c.slotId, preferred);
      if (onlyPreferred && pref === preferred.length) continue;
      if (!usable(c, search)) continue;
      if (!preferFirst) {
        // Candidates are sorted by instant: the first usable one wins unless a more preferred
        // slot starts at the very same instant.
        if (best === undefined || (c.atMs === best.atMs && pref < bestKey)) {
          best = c;
          bestKey = pref;
        }
        continue;
      }
      if (pref < bestKey) {
        best = c;
        bestKey = pref;
      }
    }
    if (best !== undefined) return toPlacement(best.atMs, best.slotId);
    if (onlyPreferred || day.restricted || day.candidates.length > 0) return undefined;
    const minute = firstFreeMinute(day, search);
    return minute === undefined ? undefined : toPlacement(minute);
  }
}

/** The default calendar planner (stateless; safe to share). */
export function createCalendarPlanner(): CalendarPlanner {
  return new DefaultCalendarPlanner();
}
