import type { Subject } from 'rxjs';
import type { StoredEvent } from '../log/events.js';
import type { TimerQueue } from '../time/TimerQueue.js';
import type { RunningHandlers } from './actors/RunningHandlers.js';
import type { Supervisor, SupervisorJob } from './actors/Supervisor.js';
import type { CommandQueue } from './CommandQueue.js';
import { runJobs } from './commands/lifecycle.js';
import { degradedError } from './degradedError.js';
import type { SchedulerParts } from './SchedulerParts.js';
import { isWriteFault } from './WriteFaults.js';

/** What stopping a scheduler lets go of. */
export type Stoppable = Readonly<{
  queue: CommandQueue<SchedulerParts>;
  supervisor: Supervisor;
  handlers: RunningHandlers;
  timers: TimerQueue;
  events: Subject<StoredEvent>;
  errors: Subject<unknown>;
  stopTimeoutMs: number;
}>;

/** The jobs of `STOP` that only let go of timers: carried out at once, before the wait. */
const releasesTimers = (job: SupervisorJob): boolean =>
  job.type === 'disarmAll' || job.type === 'stopProbing';

/**
 * Stops a scheduler for good (the body of `SmartScheduler.stop`): the supervisor's `STOP`
 * disarms every timer (the store probe's too) at once; running handlers get up to
 * `stopTimeoutMs`, then their signal is aborted; their outcomes, and any a store fault left
 * unrecorded, are recorded before `scheduler.stopped`, which comes last; then every actor,
 * the lease on the log, the timer and the streams are released. A scheduler that never started records nothing.
 *
 * When the store refuses those last writes (a full disk), the fault is reported on
 * `errors`/`onError` and everything is still released, so the process can exit; the runs
 * left unrecorded are recorded as interrupted by the next start, as after a crash.
 */
export async function stopScheduler(parts: Stoppable): Promise<void> {
  const { queue, supervisor, handlers, timers } = parts;
  const jobs = await queue.run(async (tx) => {
    const status = supervisor.status;
    if (status === 'stopped') return undefined;
    const requested = supervisor.send({ type: 'STOP' });
    // Every timer is disarmed at once; what is left (recording) waits for the handlers. A
    // scheduler that never started has nothing to record: stopping it only releases it.
    await runJobs(tx, requested.filter(releasesTimers));
    // In a fleet its tasks are handed over now, while its running handlers drain.
    await tx.parts.lease.setPaused(true);
    return status === 'idle' ? [] : requested.filter((job) => !releasesTimers(job));
  });
  if (jobs === undefined) return;
  await handlers.drain(parts.stopTimeoutMs);
  // The outcomes of drained runs are recorded first; `scheduler.stopped` comes last.
  let failure: { error: unknown } | undefined;
  const open = await queue.run(async (tx) => {
    try {
      await runJobs(tx, jobs);
    } catch (error) {
      failure = { error };
    }
    return tx.parts;
  });
  await queue.idle();
  if (failure !== undefined && isWriteFault(failure.error)) {
    // A new error, so a fault already counted into the degraded period is still told.
    open.report(
      degradedError(failure.error, open.options.writeRetry, { unrecorded: open.unrecorded.size }),
    );
    failure = undefined;
  }
  open.actors.releaseAll();
  open.faults.stopProbing();
  // Last: the next scheduler may take over once everything of this one is recorded.
  try {
    await open.lease.release();
  } catch (error) {
    // It lapses on its own (or is taken over at once, this process gone); say why it stayed.
    open.report(error);
  }
  timers.dispose();
  supervisor.stop();
  parts.events.complete();
  parts.errors.complete();
  open.log.complete();
  if (failure !== undefined) throw failure.error;
}
