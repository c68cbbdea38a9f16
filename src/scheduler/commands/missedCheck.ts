import { isCatchUpRun } from '../../domain/isCatchUpRun.js';
import type { Occurrence } from '../../domain/types.js';
import type { SchedulerTx } from '../SchedulerParts.js';
import { adoptTask } from './adoptTask.js';
import { isTaskPaused } from './lookups.js';
import type { Claim, WaitingSource } from './plan.js';
import { recoverMissed } from './recoverMissed.js';
import type { MissReason } from './slots.js';
import { widenWindow } from './widenWindow.js';

/** How the missed check sorts the occurrences whose time has passed. */
export type MissedSplit = Readonly<{
  /** Late by at most grace: trigger them now. */
  lateWithinGrace: readonly Occurrence[];
  /** Late beyond grace: record them missed and hand them to recovery. */
  beyondGrace: readonly Occurrence[];
}>;

/**
 * The seed's missed check: every pending occurrence whose time has passed is triggered now
 * when late by at most grace, otherwise recorded missed and recovered. Occurrences of paused
 * tasks wait for their task's resume, which runs this check for that task alone (`taskId`).
 * Returns the claims of the ones triggered, for the caller to await outside the queue.
 * `reason` says why their time passed unnoticed, for the slots the catch-up records.
 */
export async function checkMissed(
  tx: SchedulerTx,
  taskId?: string,
  reason: MissReason = 'downtime',
): Promise<Claim[]> {
  const parts = tx.parts;
  if (parts.supervisor.status !== 'running') return [];
  const { actors, log } = parts;
  const model = log.model;
  // Whatever came due is in the live model: a clock that jumped past the window widens it.
  if (taskId === undefined) await widenWindow(tx, 'future');
  else await adoptTask(tx, taskId);
  const nowMs = parts.timers.now();
  // In a fleet, each instance checks only the tasks it runs.
  const waiting: WaitingSource =
    taskId === undefined
      ? (visit) =>
          model.forEachWaiting((occurrence, scheduledFor) => {
            if (!isTaskPaused(parts, occurrence.taskId) && parts.lease.owns(occurrence.taskId)) {
              visit(occurrence, scheduledFor);
            }
          })
      : (visit) => {
          if (!parts.lease.owns(taskId)) return;
          for (const execution of model.waitingOf(taskId)) {
            const occurrence = model.getOccurrence(execution.occurrenceId);
            if (occurrence !== undefined) visit(occurrence, execution.scheduledFor);
          }
        };
  const { lateWithinGrace, beyondGrace } = splitMissed(
    waiting,
    nowMs,
    parts.options.graceMs,
    (id) => actors.isTriggering(id),
  );
  const claims = lateWithinGrace.map((occ) => actors.trigger(occ, false));
  if (beyondGrace.length > 0) await recoverMissed(tx, beyondGrace, nowMs, reason);
  return claims;
}

/**
 * The seed's `check_for_missed_tasks` split: every occurrence still waiting whose time is at
 * or before `nowMs`, earliest first. `isBusy` excludes occurrences an actor is already
 * triggering in this process.
 *
 * Catch-up and backfill runs are never missed: however late, they trigger now.
 *
 * Due exactly at `nowMs` counts (late by 0): `scheduleAll` only re-arms occurrences strictly
 * in the future, so skipping this instant too would leave such an occurrence neither armed
 * nor triggered.
 */
export function splitMissed(
  waiting: WaitingSource,
  nowMs: number,
  graceMs: number,
  isBusy: (occurrenceId: string) => boolean,
): MissedSplit {
  const late: { occurrence: Occurrence; dueMs: number }[] = [];
  waiting((occurrence, scheduledFor) => {
    const dueMs = Date.parse(scheduledFor);
    if (dueMs > nowMs || isBusy(occurrence.id)) return;
    late.push({ occurrence, dueMs });
  });
  late.sort((a, b) => a.dueMs - b.dueMs);
  const lateWithinGrace: Occurrence[] = [];
  const beyondGrace: Occurrence[] = [];
  for (const { occurrence, dueMs } of late) {
    const late = nowMs - dueMs <= graceMs || isCatchUpRun(occurrence);
    (late ? lateWithinGrace : beyondGrace).push(occurrence);
  }
  return { lateWithinGrace, beyondGrace };
}
