import type { SupervisorEvent } from '../../../machines/supervisor.js';
import { clockJumped, schedulerLifecycle } from '../../log/facts.js';
import type { SupervisorJob } from '../actors/Supervisor.js';
import type { SchedulerTx } from '../SchedulerParts.js';
import { checkMissed } from './missedCheck.js';
import { type Claim, scheduleAll } from './plan.js';
import { recoverInterrupted } from './recordOutcomes.js';

/**
 * Sends the supervisor a lifecycle event (`START`, `PAUSE`, `CHECK_MISSED`, `CLOCK_JUMPED`)
 * and carries out the jobs its transition asked for, in the diagram's order. Returns the
 * claims of occurrences a missed check triggered, for the caller to await outside the queue.
 */
export async function transition(tx: SchedulerTx, event: SupervisorEvent): Promise<Claim[]> {
  return runJobs(tx, tx.parts.supervisor.send(event));
}

/** Carries out supervisor jobs in order; returns the claims of the missed checks among them. */
export async function runJobs(tx: SchedulerTx, jobs: readonly SupervisorJob[]): Promise<Claim[]> {
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
        claims.push(...(await checkMissed(tx)));
        break;
      case 'record':
        await parts.log.append([schedulerLifecycle(job.fact, parts.options.instanceId)]);
        break;
      case 'recordClockJump':
        await parts.log.append([clockJumped(job.expectedAt, job.observedAt)]);
        break;
    }
  }
  return claims;
}
