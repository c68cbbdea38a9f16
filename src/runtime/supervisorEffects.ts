import { scheduleAll } from './planOccurrence.js';
import { checkMissed, recoverInterrupted } from './recovery.js';
import { clockJumpedEvent, type SchedulerLifecycleType, schedulerEvent } from './runtimeEvents.js';
import type { SchedulerContext } from './SchedulerContext.js';
import type { SupervisorEffects } from './SupervisorRef.js';

/**
 * The supervisor machine's named effects, bound to one scheduler. The machine decides what
 * happens when; these say how, and run as jobs inside the command queue in the diagram's
 * order (see {@link SchedulerContext.transition}).
 */
export function supervisorEffects(ctx: SchedulerContext): SupervisorEffects {
  const record = (type: SchedulerLifecycleType) => () =>
    ctx.append([schedulerEvent(type, ctx.options.instanceId)]).then(() => undefined);
  return {
    armAll: async () => {
      await recoverInterrupted(ctx);
      await scheduleAll(ctx);
    },
    disarmAll: () => ctx.arming.disarmAll(),
    checkMissed: async () => {
      ctx.lateClaims.push(...(await checkMissed(ctx)));
    },
    recordStarted: record('scheduler.started'),
    recordPaused: record('scheduler.paused'),
    recordStopped: record('scheduler.stopped'),
    recordClockJump: (jump) => async () => {
      await ctx.append([clockJumpedEvent(jump.expectedAt, jump.observedAt)]);
    },
  };
}
