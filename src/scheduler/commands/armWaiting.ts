import type { Occurrence } from '../../domain/types.js';
import { occurrenceSkipped } from '../../log/facts.js';
import type { SchedulerTx } from '../SchedulerParts.js';
import { isScheduling, isTaskPaused, planningOf } from './lookups.js';
import { fitsCalendar, type WaitingSource } from './plan.js';

/**
 * Arms the waiting occurrences `waiting` hands out that are due in the future (a restart
 * re-arms 100 000 this way): each is what `plan` would do with a known waiting occurrence —
 * armed when it still fits the calendar, else skipped — decided in one pass, with the skips
 * recorded in one append. A skip frees its place at once, as its recorded skip would one by
 * one, so the ones after it see the place free; if the skips cannot be recorded, the places
 * are put back. No-op unless running.
 */
export async function armWaiting(tx: SchedulerTx, waiting: WaitingSource): Promise<void> {
  const parts = tx.parts;
  if (!isScheduling(parts.supervisor.status)) return;
  const now = parts.timers.now();
  const planning = planningOf(parts);
  const skipped: Occurrence[] = [];
  const armed: Occurrence[] = [];
  await parts.occupancy.undoOnFailure(async () => {
    waiting((occurrence, scheduledFor) => {
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
