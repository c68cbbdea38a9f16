import type { ClaimResult } from '../../../machines/occurrence.js';
import { isPlanflowError } from '../../domain/errors.js';
import { isCatchUpRun } from '../../domain/isCatchUpRun.js';
import type { Occurrence } from '../../domain/types.js';
import type { NewEvent } from '../../log/events.js';
import { occurrenceTriggered } from '../../log/facts.js';
import { isWaiting } from '../../log/LiveModel.js';
import type { Pending } from '../commandBatcher.js';
import type { SchedulerTx } from '../SchedulerParts.js';
import { adoptTask } from './adoptTask.js';
import { seriesContinues } from './followUp.js';
import { idempotencyKey } from './idempotencyKey.js';
import { isTaskPaused, planningOf } from './lookups.js';
import { plan } from './plan.js';
import { missedStateOf, recoverMissed } from './recoverMissed.js';

/** One actor's request to trigger, answered with the claim. */
export type ClaimRequest = Pending<
  Readonly<{ occurrence: Occurrence; manual: boolean }>,
  ClaimResult
>;

type Grant = Readonly<{
  request: ClaimRequest;
  granted: ClaimResult & { kind: 'granted' };
  event: NewEvent;
}>;

/**
 * Decides each claim of a batch: refused (paused or stopped, or a time-driven claim of a
 * paused task — its timer fired before the pause was decided — or made while this scheduler
 * does not hold its lease on the log), lost (not pending, or claimed
 * twice in the batch), missed (late beyond grace: recorded and recovered), or granted (its
 * `occurrence.triggered` recorded, all grants in one append).
 */
export async function claimTriggers(
  tx: SchedulerTx,
  batch: readonly ClaimRequest[],
): Promise<void> {
  const parts = tx.parts;
  const status = parts.supervisor.status;
  const model = parts.log.model;
  const now = parts.timers.now();
  const grants: Grant[] = [];
  const missed: ClaimRequest[] = [];
  const seen = new Set<string>();
  for (const request of batch) {
    const { occurrence, manual } = request.input;
    if (
      status === 'stopped' ||
      (!manual &&
        (status !== 'running' || !parts.lease.held || isTaskPaused(parts, occurrence.taskId)))
    ) {
      request.resolve({ kind: 'refused' });
      continue;
    }
    const execution = model.getExecution(occurrence.id);
    if (seen.has(occurrence.id) || execution === undefined || !isWaiting(execution)) {
      request.resolve({ kind: 'lost' });
      continue;
    }
    seen.add(occurrence.id);
    const lateByMs = Math.max(0, now - Date.parse(occurrence.scheduledFor));
    // A catch-up or backfill run stands for a past slot on purpose: it is never missed.
    if (!manual && lateByMs > parts.options.graceMs && !isCatchUpRun(occurrence)) {
      missed.push(request);
      continue;
    }
    const key = await idempotencyKey(
      occurrence,
      async (id) => (await parts.log.record(id))?.occurrence,
    );
    const task = model.getTask(occurrence.taskId);
    grants.push({
      request,
      granted: { kind: 'granted', idempotencyKey: key, ...(task === undefined ? {} : { task }) },
      event: occurrenceTriggered(occurrence, key, lateByMs, manual, parts.options.instanceId),
    });
  }
  if (grants.length > 0) await planOverlapping(tx, await recordGrants(tx, grants), now);
  if (missed.length > 0) {
    await recoverMissed(
      tx,
      missed.map((r) => r.input.occurrence),
      now,
      'sleep',
    );
    for (const request of missed) {
      const state = missedStateOf((await parts.log.record(request.input.occurrence.id))?.execution);
      request.resolve({ kind: 'missed', state });
    }
  }
}

/**
 * Appends the granted triggers in one batch. If the store refuses it because another writer
 * triggered one of them first, each is tried on its own so that only that one is lost.
 * Returns the grants recorded.
 */
async function recordGrants(tx: SchedulerTx, grants: readonly Grant[]): Promise<Grant[]> {
  const parts = tx.parts;
  try {
    await parts.log.append(grants.map((g) => g.event));
    for (const g of grants) g.request.resolve(g.granted);
    return [...grants];
  } catch (error) {
    if (!isPlanflowError(error, 'planflow:already-triggered')) throw error;
  }
  const recorded: Grant[] = [];
  for (const g of grants) {
    try {
      await parts.log.append([g.event]);
      g.request.resolve(g.granted);
      recorded.push(g);
    } catch (error) {
      if (!isPlanflowError(error, 'planflow:already-triggered')) throw error;
      g.request.resolve({ kind: 'lost' });
    }
  }
  return recorded;
}

/**
 * Under `overlap: 'allowAll'` and `'cancelOther'` a recurring task's next slot must come due
 * while its run still runs, so its next recurrence is planned as the run starts rather than
 * when it ends (the run's end then finds the series continuing and plans nothing). The next
 * one carries the run as `parentId`; no `occurrence.recurred` links them, since the run has
 * no outcome yet.
 */
async function planOverlapping(tx: SchedulerTx, granted: readonly Grant[], now: number) {
  const parts = tx.parts;
  const model = parts.log.model;
  for (const { request, granted: claim } of granted) {
    const { occurrence, manual } = request.input;
    const task = claim.task;
    if (manual || occurrence.cause === 'manual' || isCatchUpRun(occurrence)) continue;
    if (task?.recurrence === undefined) continue;
    if (task.overlap !== 'allowAll' && task.overlap !== 'cancelOther') continue;
    await adoptTask(tx, task.id);
    if (seriesContinues(model, occurrence)) continue;
    const from = new Date(Math.max(now, Date.parse(occurrence.scheduledFor)));
    const next = parts.options.taskScheduler.nextOccurrence(task, from, planningOf(parts));
    if (next === undefined || next.id === occurrence.id) continue;
    await plan(
      tx,
      next.parentId === undefined ? Object.freeze({ ...next, parentId: occurrence.id }) : next,
    );
  }
}
