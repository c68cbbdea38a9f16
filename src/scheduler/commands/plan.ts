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

/**
 * Occurrences still waiting to trigger (`scheduled`, never triggered), each handed to `visit`
 * with the time its execution is due (the live model's `forEachWaiting`, or a subset of it).
 */
export type WaitingSource = (visit: (occurrence: Occurrence, scheduledFor: string) => void) => void;

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
  // One the live window left in the store is taken in first: its own place is then known.
  if (known) await parts.log.adoptOccurrences([occurrence.id]);
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
