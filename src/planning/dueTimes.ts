import type { Task } from '../domain/types.js';
import { nextCronRun } from './cronSchedule.js';
import { nextRruleRun } from './rruleSchedule.js';

/**
 * The first due time of `task`'s recurrence strictly after `fromMs`, or `undefined` when it
 * has no recurrence or the recurrence has ended. Due times are the recurrence's own times,
 * before the calendar is consulted:
 * - interval: `anchor + k × everyMs` (k ≥ 0), anchored at `recurrence.anchor`, else
 *   `startAt`, else `createdAt`, so the series never drifts however late triggers run;
 * - cron: croner's next run in the recurrence's zone, else the calendar's;
 * - rrule: the rule's next instance (its zone is its DTSTART's; EXDATE, COUNT and UNTIL
 *   apply), evaluated by rrule-temporal.
 *
 * No kind is ever due before the task's `startAt`.
 */
export function nextDueAfter(task: Task, fromMs: number, calendarZone: string): number | undefined {
  const recurrence = task.recurrence;
  if (recurrence === undefined) return undefined;
  // Nothing is due before startAt: searching from just before it lets startAt itself be due.
  const after =
    task.startAt === undefined ? fromMs : Math.max(fromMs, Date.parse(task.startAt) - 1);
  if (recurrence.kind === 'interval') {
    const anchor = Date.parse(recurrence.anchor ?? task.startAt ?? task.createdAt);
    if (after < anchor) return anchor;
    const steps = Math.floor((after - anchor) / recurrence.everyMs) + 1;
    const due = anchor + steps * recurrence.everyMs;
    return Number.isSafeInteger(due) ? due : undefined;
  }
  if (recurrence.kind === 'rrule') return nextRruleRun(recurrence.rrule, after);
  return nextCronRun(recurrence.cron, recurrence.timeZone ?? calendarZone, after);
}

/** The first due time at or after `atMs` (a series' first occurrence may be due right now). */
export function firstDueAtOrAfter(
  task: Task,
  atMs: number,
  calendarZone: string,
): number | undefined {
  return nextDueAfter(task, atMs - 1, calendarZone);
}
