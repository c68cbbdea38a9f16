import type { Subject } from 'rxjs';
import type { StoredEvent } from '../log/events.js';
import type { TimerQueue } from '../time/TimerQueue.js';
import type { RunningHandlers } from './actors/RunningHandlers.js';
import type { Supervisor } from './actors/Supervisor.js';
import type { CommandQueue } from './CommandQueue.js';
import { runJobs } from './commands/lifecycle.js';
import type { SchedulerParts } from './SchedulerParts.js';

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

/**
 * Stops a scheduler for good (the body of `SmartScheduler.stop`): the supervisor's `STOP`
 * disarms every timer at once; running handlers get up to `stopTimeoutMs`, then their signal
 * is aborted; their outcomes are recorded before `scheduler.stopped`, which comes last; then
 * every actor, the timer and the streams are released. A scheduler that never started
 * records nothing.
 */
export async function stopScheduler(parts: Stoppable): Promise<void> {
  const { queue, supervisor, handlers, timers } = parts;
  const jobs = await queue.run(async (tx) => {
    const status = supervisor.status;
    if (status === 'stopped') return undefined;
    const requested = supervisor.send({ type: 'STOP' });
    // Every timer is disarmed at once; what is left (recording) waits for the handlers. A
    // scheduler that never started has nothing to record: stopping it only releases it.
    await runJobs(
      tx,
      requested.filter((job) => job.type === 'disarmAll'),
    );
    return status === 'idle' ? [] : requested.filter((job) => job.type !== 'disarmAll');
  });
  if (jobs === undefined) return;
  await handlers.drain(parts.stopTimeoutMs);
  // The outcomes of drained runs are recorded first; `scheduler.stopped` comes last.
  const log = await queue.run(async (tx) => {
    await runJobs(tx, jobs);
    return tx.parts;
  });
  await queue.idle();
  log.actors.releaseAll();
  timers.dispose();
  supervisor.stop();
  parts.events.complete();
  parts.errors.complete();
  log.log.complete();
}
