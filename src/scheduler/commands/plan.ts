import type { ClaimResult } from '../../../machines/occurrence.js';
import type { Occurrence, Task } from '../../domain/types.js';
import { occurrenceScheduled, occurrenceSkipped } from '../../log/facts.js';
import { isWaiting } from '../../log/LiveModel.js';
import type { PlanningContext } from '../../planning/ports.js';
import type { SchedulerParts, SchedulerTx } from '../SchedulerParts.js';
import { isScheduling, isTaskPaused, planningOf } from './lookups.js';

/** What `scheduleOccurrence` did with the occurrence it was given. */
export type ScheduleResult = 'armed' | 'skipped' | 'not-pending' | 'paused';

/** An occurrence actor's claim, settled once it asked to trigger (undefined if it never did). */
export type Claim = Promise<ClaimResult | undefined>;

/** What planning an occurrence did, and the claim of one that was due and triggers at once. */
export type PlanResult = Readonly<{ result: ScheduleResult; claim?: Claim }>;

/**
 * Records an occurrence (or its skip) and arms it when the scheduler runs and its task is not
 * paused (`'paused'` then: recorded, armed at the next start or at the task's resume). The
 * calendar check excludes the occurrence's own place, so re-arming never rejects itself.
 */
export async function plan(tx: SchedulerTx, occurrence: Occurrence): Promise<PlanResult> {
  const parts = tx.parts;
  const execution = (await parts.log.record(occurrence.id))?.execution;
  if (execution !== undefined && !isWaiting(execution)) return { result: 'not-pending' };
  const known = execution !== undefined;
  if (!fitsCalendar(parts, occurrence, planningOf(parts))) {
    parts.actors.release(occurrence.id);
    await parts.log.append([
      ...(known ? [] : [occurrenceScheduled(occurrence)]),
      occurrenceSkipped(occurrence.id),
    ]);
    return { result: 'skipped' };
  }
  if (!known) await parts.log.append([occurrenceScheduled(occurrence)]);
  if (!isScheduling(parts.supervisor.status) || isTaskPaused(parts, occurrence.taskId)) {
    return { result: 'paused' };
  }
  // In a fleet, the instance that runs the task arms it when it reads the entry.
  if (!parts.lease.owns(occurrence.taskId)) return { result: 'armed' };
  const claim = parts.actors.arm(occurrence);
  return claim === undefined ? { result: 'armed' } : { result: 'armed', claim };
}

/**
 * The calendar check of one occurrence (a pinned time has its own rule), excluding its own
 * place so that re-arming never rejects itself. An occurrence of a task with
 * `calendar: 'ignore'` always fits.
 */
export function fitsCalendar(
  parts: SchedulerParts,
  occurrence: Occurrence,
  planning: PlanningContext,
): boolean {
  if (ignoresCalendar(parts, occurrence)) return true;
  const at = new Date(occurrence.scheduledFor);
  const planner = parts.options.calendarPlanner;
  return occurrence.pinnedTime !== undefined
    ? planner.isPinnedTimeValid(at, planning, occurrence.id)
    : planner.isSlotAvailable(at, planning, occurrence.id);
}

/**
 * True when the occurrence's task opted out of the calendar (`calendar: 'ignore'`), or when
 * it runs for a slot at another time (`slot`: a catch-up, backfill or buffered run), which
 * the calendar placed or would have placed already.
 */
export function ignoresCalendar(parts: SchedulerParts, occurrence: Occurrence): boolean {
  return (
    occurrence.slot !== undefined ||
    parts.log.model.getTask(occurrence.taskId)?.calendar === 'ignore'
  );
}

/** Plans a new or changed task's first occurrence, if it has one. */
export async function planFirst(tx: SchedulerTx, task: Task, now: Date): Promise<void> {
  const parts = tx.parts;
  const first = parts.options.taskScheduler.firstOccurrence(task, now, planningOf(parts));
  if (first !== undefined) await plan(tx, first);
}

/**
 * Re-arms every pending occurrence due in the future, replacing the timers they had (no-op
 * unless running): every waiting occurrence is paused first, and only the future ones are
 * armed again, so one whose time passed meanwhile waits for the missed check.
 */
export async function scheduleAll(tx: SchedulerTx): Promise<void> {
  const parts = tx.parts;
  if (!isScheduling(parts.supervisor.status)) return;
  parts.actors.pauseAll();
  const now = parts.timers.now();
  const planning = planningOf(parts);
  // Every one of them is recorded and waiting, so each is what `plan` would do with a known
  // waiting occurrence — armed when it still fits the calendar, else skipped — decided in one
  // pass, with the skips recorded in one append (a restart re-arms 100 000 this way).
  // A skip frees its place at once, as its recorded skip would one by one, so the ones after
  // it see the place free; if the skips cannot be recorded, the places are put back.
  const skipped: Occurrence[] = [];
  const armed: Occurrence[] = [];
  await parts.occupancy.undoOnFailure(async () => {
    parts.log.model.forEachWaiting((occurrence, scheduledFor) => {
      if (Date.parse(scheduledFor) <= now) return;
      // A paused task's occurrences wait for its resume, as `plan` decides; in a fleet, each
      // instance re-arms only the tasks it runs.
      if (isTaskPaused(parts, occurrence.taskId) || !parts.lease.owns(occurrence.taskId)) return;
      if (fitsCalendar(parts, occurrence, planning)) {
        armed.push(occurrence);
      } else {
        skipped.push(occurrence);
        parts.occupancy.release(occurrence.id);
      }
    });
    if (skipped.length === 0) return;
    for (const occurrence of skipped) parts.actors.release(occurrence.id);
    await parts.log.append(skipped.map((occurrence) => occurrenceSkipped(occurrence.id)));
  });
  if (!isScheduling(parts.supervisor.status)) return;
  for (const occurrence of armed) parts.actors.arm(occurrence);
}
