import type { Occurrence, Task } from '../domain/types.js';
import { CalendarOccupancy } from './CalendarOccupancy.js';
import type { PlanningContext, TaskScheduler } from './ports.js';

/** Where a list of upcoming occurrences starts and how it goes on. */
export type UpcomingStart = Readonly<{
  /** The first occurrence of the list (a waiting one, or one planned from a chosen time). */
  first: Occurrence | undefined;
  /**
   * When each next occurrence is planned from: the previous one's time, but not before this
   * (the runtime plans a follow-up after the later of now and the occurrence's time).
   */
  notBeforeMs: number;
  /** True for an occurrence already on the calendar (it holds its place there already). */
  isRecorded: (occurrenceId: string) => boolean;
}>;

/**
 * Up to `count` occurrences of `task`, as the runtime would plan them one after another:
 * `start.first`, then each follow-up the task scheduler gives after the previous one (the
 * runtime's rule for a run that succeeded), each placed on the calendar with the ones before
 * it holding their places, so the cap per day and exclusive instants see them. Pure: the
 * caller's occupancy is read, never changed. Stops early when the series ends (a one-shot
 * task, `COUNT`/`UNTIL`, or no room in the calendar's window).
 */
export function upcomingOccurrences(
  task: Task,
  count: number,
  start: UpcomingStart,
  scheduler: TaskScheduler,
  ctx: PlanningContext,
): Occurrence[] {
  const occupancy = new CalendarOccupancy(ctx.calendar, ctx.occupancy);
  const layered: PlanningContext = { calendar: ctx.calendar, occupancy };
  const runs: Occurrence[] = [];
  let current = start.first;
  while (current !== undefined && runs.length < count) {
    runs.push(current);
    // A task outside the calendar takes no place (see `holdsPlace`).
    if (!start.isRecorded(current.id) && task.calendar !== 'ignore') {
      occupancy.hold(current.id, current.scheduledFor);
    }
    if (task.recurrence === undefined) break;
    const fromMs = Math.max(start.notBeforeMs, Date.parse(current.scheduledFor));
    const next = scheduler.nextOccurrence(task, new Date(fromMs), layered);
    if (next === undefined || next.id === current.id) break;
    current = next.parentId === undefined ? Object.freeze({ ...next, parentId: current.id }) : next;
  }
  return runs;
}
