import { toErrorRecord } from '../../domain/errorRecord.js';
import { isPlanflowError } from '../../domain/errors.js';
import { schedulerDegraded } from '../../log/facts.js';
import type { SchedulerTx } from '../SchedulerParts.js';
import { outcomeBatch } from './recordOutcomes.js';

/**
 * Appends `scheduler.degraded` for the open degraded period, if there is one, and closes it.
 * This append is also the probe: while the store refuses it, the period stays open (and
 * counts the failure); once it is stored, the store accepts writes again.
 */
export async function recordDegradedPeriod(tx: SchedulerTx): Promise<void> {
  const parts = tx.parts;
  const period = parts.faults.period;
  if (period === undefined) return;
  const fact = schedulerDegraded(parts.options.instanceId, {
    sinceMs: period.sinceMs,
    recoveredAtMs: parts.timers.now(),
    failures: period.failures,
    lastError: toErrorRecord(period.lastError),
  });
  await parts.log.append([fact]);
  parts.faults.close();
}

/**
 * Records what a store fault left unrecorded: the open degraded period (when no probe closed
 * it, e.g. the scheduler was paused or started again meanwhile), then every run whose outcome
 * could not be appended, as the outcome it had, with the follow-up its task's policy decides
 * now. Each run is one atomic batch, as when it is recorded at once; `armAll` then arms the
 * follow-ups. A run the log no longer shows as triggered is dropped, so nothing is recorded
 * twice; one another instance ended in the meantime is refused by the store and reported.
 */
export async function recordUnrecorded(tx: SchedulerTx): Promise<void> {
  const parts = tx.parts;
  await recordDegradedPeriod(tx);
  // Without the lease (lost, e.g. at stop), another scheduler may have recorded these runs.
  if (parts.lease.lost !== undefined) return;
  const model = parts.log.model;
  for (const [id, { occurrence, outcome }] of parts.unrecorded) {
    if (model.getExecution(id)?.state === 'triggered') {
      try {
        await parts.log.append((await outcomeBatch(tx, occurrence, outcome)).events);
      } catch (error) {
        // Another instance ended it first (its entry had not reached this model yet): the
        // log keeps that ending, and this one is reported, not retried.
        if (!isPlanflowError(error, 'planflow:already-settled')) throw error;
        parts.report(error);
      }
    }
    parts.unrecorded.delete(id);
  }
}
