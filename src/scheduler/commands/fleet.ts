import type { Occurrence } from '../../domain/types.js';
import { isWaiting } from '../../log/LiveModel.js';
import type { SchedulerTx } from '../SchedulerParts.js';
import { adoptTask } from './adoptTask.js';
import { isTaskPaused } from './lookups.js';
import { checkMissed } from './missedCheck.js';
import type { Claim } from './plan.js';
import { recoverInterrupted } from './recordOutcomes.js';
import { scheduleAll } from './scheduleAll.js';

/** What other instances' entries (read in from a shared store) changed, gathered per command. */
export type RemoteChanges = {
  /** Occurrences an entry of another instance scheduled or moved on. */
  readonly occurrenceIds: Set<string>;
  /** Tasks another instance defined, changed, paused or resumed. */
  readonly taskIds: Set<string>;
  /** Whether another instance started, paused or stopped (its lease changed with it). */
  lifecycle: boolean;
};

/**
 * Takes in what other instances recorded on a shared log, after the live model folded it:
 * an occurrence of a task this instance runs that another one scheduled (a follow-up of a run
 * there, a retry a survivor planned, a call made on another replica) is armed here; one that
 * is no longer waiting (another instance triggered, cancelled or recorded it missed) loses
 * its timer here. A task that changed has its waiting occurrences armed again where this
 * instance runs it. Another instance's start, pause or stop reads the leases again at once,
 * which re-spreads the tasks (see {@link rebalance}). Returns the claims of occurrences due
 * now, for the caller to await outside the queue.
 */
export async function adoptRemote(tx: SchedulerTx, changes: RemoteChanges): Promise<Claim[]> {
  const parts = tx.parts;
  if (changes.lifecycle) await parts.lease.refresh();
  const claims: Claim[] = [];
  if (parts.supervisor.status !== 'running') return claims;
  const model = parts.log.model;
  const arm = (occurrence: Occurrence | undefined): void => {
    if (occurrence === undefined) return;
    if (isTaskPaused(parts, occurrence.taskId) || !parts.lease.owns(occurrence.taskId)) return;
    const claim = parts.actors.arm(occurrence);
    if (claim !== undefined) claims.push(claim);
  };
  for (const id of changes.occurrenceIds) {
    const record = model.record(id);
    if (record === undefined || !isWaiting(record.execution)) parts.actors.release(id);
    else arm(record.occurrence);
  }
  for (const taskId of changes.taskIds) {
    await adoptTask(tx, taskId);
    for (const execution of model.waitingOf(taskId))
      arm(model.getOccurrence(execution.occurrenceId));
  }
  return claims;
}

/**
 * The instances sharing the log changed: re-spreads the tasks as a restart would — the runs
 * of instances that died are recorded interrupted (by their tasks' new owners) and retried,
 * every waiting occurrence is re-armed where its task now runs (and released elsewhere), and
 * the missed check triggers what came due while its old owner was gone (late by at most
 * grace) or records it missed. Returns the claims of the check.
 */
export async function rebalance(tx: SchedulerTx): Promise<Claim[]> {
  if (tx.parts.supervisor.status !== 'running') return [];
  await recoverInterrupted(tx);
  await scheduleAll(tx);
  return checkMissed(tx, undefined, 'downtime');
}
