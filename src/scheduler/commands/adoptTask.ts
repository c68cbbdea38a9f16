import type { SchedulerTx } from '../SchedulerParts.js';
import { isScheduling, isTaskPaused } from './lookups.js';

/**
 * Takes every waiting occurrence of the task that the live window left in the store into the
 * live model (before a command decides about all of them: its series, its update, removal,
 * pause or resume, its next runs) and arms them where the scheduler runs the task, as the
 * window would have once it reached them. They are due beyond the window, so each gets a
 * far-future timer entry.
 */
export async function adoptTask(tx: SchedulerTx, taskId: string): Promise<void> {
  const parts = tx.parts;
  const adopted = await parts.log.adoptTask(taskId);
  if (adopted.length === 0 || !isScheduling(parts.supervisor.status)) return;
  if (isTaskPaused(parts, taskId) || !parts.lease.owns(taskId)) return;
  const nowMs = parts.timers.now();
  for (const { occurrence } of adopted) {
    if (Date.parse(occurrence.scheduledFor) > nowMs) parts.actors.arm(occurrence);
  }
}
