import type { PlacementMove, PlacementReason } from '../domain/types.js';
import { calendarDay } from './calendarDays.js';
import type { CalendarPlanner, Placement, PlanningContext, SlotSearchOptions } from './ports.js';
import { zonedParts } from './zonedTime.js';

/** The pool slot starting exactly at `atMs` that day, preferring the caller's favourites. */
function slotAt(
  atMs: number,
  ctx: PlanningContext,
  preferred: readonly string[],
): string | undefined {
  const day = calendarDay(ctx.calendar, zonedParts(atMs, ctx.calendar.timeZone).dayNumber);
  const here = day.candidates.filter((c) => c.atMs === atMs).map((c) => c.slotId);
  return preferred.find((id) => here.includes(id)) ?? here[0];
}

/**
 * Where an occurrence due at `dueMs` goes: the due time itself when the calendar accepts it
 * there (so a recurrence that already fits keeps its exact time), otherwise the planner's
 * next available slot at or after the due time, within `options.windowDays`.
 *
 * `requestedMs` is the time the schedule asked for, when `dueMs` is that time delayed (by
 * the task's jitter). A placement elsewhere than the requested time says so in `moved`: the
 * requested time, and why — the calendar rule the due time broke (`whyUnavailable`, or
 * `'calendar'` for a planner that cannot say), else `'jitter'`.
 */
export function placeDueTime(
  planner: CalendarPlanner,
  dueMs: number,
  ctx: PlanningContext,
  options: SlotSearchOptions,
  requestedMs: number = dueMs,
): Placement | undefined {
  const due = new Date(dueMs);
  if (Number.isNaN(due.getTime())) return undefined;
  if (planner.isSlotAvailable(due, ctx, options.excludeId)) {
    const at = due.toISOString();
    const slotName = slotAt(dueMs, ctx, options.preferredSlots ?? []);
    const placed = slotName === undefined ? { at } : { at, slotName };
    return Object.freeze(
      requestedMs === dueMs ? placed : { ...placed, moved: moveOf(requestedMs, 'jitter') },
    );
  }
  const placement = planner.nextAvailableSlot(new Date(dueMs - 1), ctx, options);
  if (placement === undefined || Date.parse(placement.at) === requestedMs) return placement;
  const reason = planner.whyUnavailable?.(due, ctx, options.excludeId) ?? 'calendar';
  return Object.freeze({ ...placement, moved: moveOf(requestedMs, reason) });
}

/** The requested time and why it was not kept. */
export function moveOf(requestedMs: number, reason: PlacementReason): PlacementMove {
  return Object.freeze({ from: new Date(requestedMs).toISOString(), reason });
}
