import type { SchedulerContext } from './SchedulerContext.js';
import type { TimerQueue } from './TimerQueue.js';

/**
 * Stops a scheduler for good (the body of `SmartScheduler.stop`): the supervisor's `STOP`
 * disarms every timer at once; running handlers get up to `stopTimeoutMs`, then their signal
 * is aborted; their outcomes are recorded before `scheduler.stopped`, which comes last; then
 * every actor, the timer and the streams are released. A scheduler that never started
 * records nothing.
 */
export async function stopScheduler(ctx: SchedulerContext): Promise<void> {
  const jobs = await ctx.command(() => {
    const status = ctx.supervisor.status;
    if (status === 'stopped') return undefined;
    const requested = ctx.supervisor.send({ type: 'STOP' });
    // A scheduler that never started has nothing to record: stopping it only releases it.
    return status === 'idle' ? [] : requested;
  });
  if (jobs === undefined) return;
  if (ctx.runs.size > 0) {
    await waitOrTimeout([...ctx.runs], ctx.timers, ctx.options.stopTimeoutMs);
    ctx.stopSignal.abort();
    await Promise.allSettled([...ctx.runs]);
  }
  // The outcomes of drained runs are recorded first; `scheduler.stopped` comes last.
  await ctx.command(async () => {
    for (const job of jobs) await job();
  });
  await ctx.queue.idle();
  ctx.arming.stopAll();
  ctx.timers.dispose();
  ctx.supervisor.stop();
  ctx.events.complete();
  ctx.errors.complete();
  ctx.log?.complete();
}

/** Waits for `promises` or until `timeoutMs` passes on `clock`, whichever comes first. */
function waitOrTimeout(
  promises: readonly Promise<unknown>[],
  clock: TimerQueue,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(resolve, timeoutMs);
    void Promise.allSettled(promises).then(() => {
      clock.clearTimeout(timer);
      resolve();
    });
  });
}
