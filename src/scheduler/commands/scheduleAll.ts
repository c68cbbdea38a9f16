import type { SchedulerTx } from '../SchedulerParts.js';
import { armWaiting } from './armWaiting.js';
import { isScheduling } from './lookups.js';
import { widenWindow } from './widenWindow.js';

/**
 * Re-arms every pending occurrence due in the future, replacing the timers they had (no-op
 * unless running): every waiting occurrence is paused first, and only the future ones are
 * armed again, so one whose time passed meanwhile waits for the missed check. The live
 * window is widened first when half of it has passed.
 */
export async function scheduleAll(tx: SchedulerTx): Promise<void> {
  const parts = tx.parts;
  if (!isScheduling(parts.supervisor.status)) return;
  await widenWindow(tx, 'none');
  parts.actors.pauseAll();
  await armWaiting(tx, (visit) => parts.log.model.forEachWaiting(visit));
}
