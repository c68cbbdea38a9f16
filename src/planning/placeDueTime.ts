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
 */
export function placeDueTime(
  planner: CalendarPlanner,
  dueMs: number,
  ctx: PlanningContext,
  options: SlotSearchOptions,
): Placement | undefined {
  const due = new Date(dueMs);
  if (Number.isNaN(due.getTime())) return undefined;
  if (planner.isSlotAvailable(due, ctx, options.excludeId)) {
    const at = due.toISOString();
    const slotName = slotAt(dueMs, ctx, options.preferredSlots ?? []);
    return Object.freeze(slotName === undefined ? { at } : { at, slotName });
  }
  return planner.nextAvailableSlot(new Date(dueMs - 1), ctx, options);
}
