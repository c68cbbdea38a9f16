import type { SupervisorEvent } from '../../../machines/supervisor.js';
import { LogHeldError } from '../../domain/errors.js';
import type { SchedulerStatus } from '../../domain/types.js';
import { clockJumped, schedulerLifecycle } from '../../log/facts.js';
import type { SupervisorJob } from '../actors/Supervisor.js';
import { degradedError } from '../degradedError.js';
import type { SchedulerTx } from '../SchedulerParts.js';
import { isWriteFault } from '../WriteFaults.js';
import { checkMissed } from './missedCheck.js';
import type { Claim } from './plan.js';
import { recoverInterrupted } from './recordOutcomes.js';
import { scheduleAll } from './scheduleAll.js';
import type { MissReason } from './slots.js';
import { recordDegradedPeriod, recordUnrecorded } from './writeRecovery.js';

/**
 * Sends the supervisor a lifecycle event (`START`, `PAUSE`, `CHECK_MISSED`, `CLOCK_JUMPED`,
 * `WRITE_FAILED`, `WRITE_RECOVERED`) and carries out the jobs its transition asked for, in
 * the diagram's order. Returns the claims of occurrences a missed check triggered, for the
 * caller to await outside the queue.
 */
export async function transition(tx: SchedulerTx, event: SupervisorEvent): Promise<Claim[]> {
  const reason = missReasonOf(event, tx.parts.supervisor.status);
  return runJobs(tx, tx.parts.supervisor.send(event), reason);
}

/**
 * Why the slots a missed check finds after `event` passed unrun: the scheduler was down (the
 * first start, or a check asked for by hand), paused (a start after a pause), asleep (a clock
 * jump) or unable to write (the store recovered).
 */
function missReasonOf(event: SupervisorEvent, status: SchedulerStatus): MissReason {
  switch (event.type) {
    case 'CLOCK_JUMPED':
      return 'sleep';
    case 'WRITE_RECOVERED':
      return 'degraded';
    case 'START':
      return status === 'paused' ? 'paused' : 'downtime';
    default:
      return 'downtime';
  }
}

/**
 * Carries out supervisor jobs in order; returns the claims of the missed checks among them
 * (`reason` says why what they find passed unrun).
 */
export async function runJobs(
  tx: SchedulerTx,
  jobs: readonly SupervisorJob[],
  reason: MissReason = 'downtime',
): Promise<Claim[]> {
  const parts = tx.parts;
  const claims: Claim[] = [];
  for (const job of jobs) {
    switch (job.type) {
      case 'armAll':
        await recoverInterrupted(tx);
        await scheduleAll(tx);
        break;
      case 'disarmAll':
        parts.actors.pauseAll();
        break;
      case 'checkMissed':
        claims.push(...(await checkMissed(tx, undefined, reason)));
        break;
      case 'record':
        // In a fleet a paused instance hands its tasks over: its lease says so first, and the
        // others read the leases again when they read this entry.
        if (job.fact === 'scheduler.paused') await parts.lease.setPaused(true);
        await parts.log.append([schedulerLifecycle(job.fact, parts.options.instanceId)]);
        break;
      case 'recordClockJump':
        await parts.log.append([clockJumped(job.expectedAt, job.observedAt)]);
        break;
      case 'probeWrites':
        // Queued by the failed append's listener; the scheduler may have left `degraded` since.
        if (parts.supervisor.status === 'degraded') parts.faults.armProbe();
        break;
      case 'stopProbing':
        parts.faults.stopProbing();
        break;
      case 'recordUnrecorded':
        await recordUnrecorded(tx);
        break;
    }
  }
  return claims;
}

/**
 * The probe of a degraded scheduler: tries to record the degraded period. While the store
 * refuses, the next probe is armed with a longer wait; once it accepts, `WRITE_RECOVERED`
 * records the runs left unrecorded, re-arms every series and checks for what came due
 * meanwhile. Returns the claims of that check.
 */
export async function probeStore(tx: SchedulerTx): Promise<Claim[]> {
  const parts = tx.parts;
  if (parts.supervisor.status !== 'degraded') return [];
  try {
    // A lease lost while degraded is taken back first: nothing is recorded without it.
    await parts.lease.hold();
    await recordDegradedPeriod(tx);
  } catch (error) {
    if (!isWriteFault(error) && !(error instanceof LogHeldError)) throw error;
    parts.faults.armProbe();
    return [];
  }
  return transition(tx, { type: 'WRITE_RECOVERED' });
}

/**
 * The lease was lost (taken over after it lapsed, or not renewable until it lapsed): a
 * running scheduler turns `degraded` as on a store fault — nothing triggers by time, and its
 * probe takes the lease back before it records anything — and the loss is reported once. A
 * paused or degraded one only reports it: its next `start()` or probe takes the lease back.
 */
export async function leaseLost(tx: SchedulerTx, error: unknown): Promise<Claim[]> {
  const parts = tx.parts;
  const status = parts.supervisor.status;
  if (status === 'stopped') return [];
  const told = isWriteFault(error) ? degradedError(error, parts.options.writeRetry) : error;
  if (status === 'running' && parts.faults.noteFailure(error, true)) {
    const jobs = parts.supervisor.send({ type: 'WRITE_FAILED' });
    parts.report(told);
    return runJobs(tx, jobs);
  }
  if (status === 'degraded') parts.faults.noteFailure(error, false);
  parts.report(told);
  return [];
}
