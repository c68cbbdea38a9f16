import type { ClaimResult } from '../../../machines/occurrence.js';
import { isPlanflowError } from '../../domain/errors.js';
import type { Occurrence } from '../../domain/types.js';
import type { NewEvent } from '../../log/events.js';
import { occurrenceTriggered } from '../../log/facts.js';
import { isWaiting } from '../../log/LiveModel.js';
import type { Pending } from '../commandBatcher.js';
import type { SchedulerTx } from '../SchedulerParts.js';
import { idempotencyKey } from './idempotencyKey.js';
import { isTaskPaused } from './lookups.js';
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
    if (!manual && lateByMs > parts.options.graceMs) {
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
      event: occurrenceTriggered(occurrence, key, lateByMs, manual),
    });
  }
  if (grants.length > 0) await recordGrants(tx, grants);
  if (missed.length > 0) {
    await recoverMissed(
      tx,
      missed.map((r) => r.input.occurrence),
      now,
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
 */
async function recordGrants(tx: SchedulerTx, grants: readonly Grant[]): Promise<void> {
  const parts = tx.parts;
  try {
    await parts.log.append(grants.map((g) => g.event));
    for (const g of grants) g.request.resolve(g.granted);
    return;
  } catch (error) {
    if (!isPlanflowError(error, 'planflow:already-triggered')) throw error;
  }
  for (const g of grants) {
    try {
      await parts.log.append([g.event]);
      g.request.resolve(g.granted);
    } catch (error) {
      if (!isPlanflowError(error, 'planflow:already-triggered')) throw error;
      g.request.resolve({ kind: 'lost' });
    }
  }
}
