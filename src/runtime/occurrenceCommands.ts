import { NotFoundError, StateError } from '../domain/errors.js';
import { makeOccurrence } from '../domain/makeOccurrence.js';
import type { Occurrence } from '../domain/types.js';
import type { ClaimResult } from './OccurrenceRunner.js';
import { type PlanResult, plan } from './planOccurrence.js';
import { cancelledEvent, scheduledEvent } from './runtimeEvents.js';
import { type SchedulerContext, stoppedError } from './SchedulerContext.js';
import type { TriggerTarget } from './SmartScheduler.js';

// The facade's occurrence commands. The functions taking a context run within the command
// queue; a claim they return is awaited by the caller outside it.

/** Plans one occurrence of a known task; refused (`'paused'`) unless the scheduler runs. */
export async function scheduleOccurrence(
  ctx: SchedulerContext,
  occurrence: Occurrence,
): Promise<PlanResult> {
  if (ctx.supervisor.status !== 'running') return { result: 'paused' as const };
  if (ctx.model().getTask(occurrence.taskId) === undefined) {
    throw new NotFoundError(
      `SmartScheduler.scheduleOccurrence: task "${occurrence.taskId}" does not exist; define it first with defineTask()`,
    );
  }
  return plan(ctx, occurrence);
}

/** Cancels a pending occurrence: its timer goes first, then the fact is recorded. */
export async function cancelOccurrence(ctx: SchedulerContext, occurrenceId: string): Promise<void> {
  const execution = ctx.requirePending(occurrenceId, 'cancelOccurrence');
  ctx.arming.disarm(execution.occurrenceId);
  await ctx.append([cancelledEvent(occurrenceId, 'user')]);
}

/** What `triggerNow` started within the queue: the occurrence and its actor's claim. */
export type ManualTrigger = Readonly<{
  occurrence: Occurrence;
  claim: Promise<ClaimResult | undefined>;
}>;

/**
 * Gives the target occurrence (a pending one, or a new manual occurrence of a task, recorded
 * first) an actor that triggers at once, whatever its time and even while paused.
 */
export async function triggerNow(
  ctx: SchedulerContext,
  target: TriggerTarget,
): Promise<ManualTrigger> {
  if (ctx.supervisor.status === 'stopped') throw stoppedError('triggerNow');
  let occ: Occurrence;
  if ('occurrenceId' in target) {
    ctx.requirePending(target.occurrenceId, 'triggerNow');
    occ = ctx.model().getOccurrence(target.occurrenceId)!;
  } else {
    ctx.requireTask(target.taskId, 'triggerNow');
    occ = makeOccurrence({
      taskId: target.taskId,
      cause: 'manual',
      scheduledFor: new Date(ctx.options.clock.now()),
    });
    if (ctx.model().getOccurrence(occ.id) === undefined) {
      await ctx.append([scheduledEvent(occ)]);
    }
  }
  return { occurrence: occ, claim: ctx.arming.spawn(occ, { manual: true }) };
}

/**
 * Outside the queue: the id of a manually triggered occurrence once its claim was granted.
 * @throws StateError when the occurrence did not trigger, naming why and what to check.
 */
export async function triggeredId({ occurrence, claim }: ManualTrigger): Promise<string> {
  const granted = await claim;
  if (granted === undefined) {
    throw new StateError(
      'planflow:invalid-state',
      `SmartScheduler.triggerNow: occurrence "${occurrence.id}" did not trigger (its actor found it missed, the scheduler stopped, or the store failed: see scheduler.errors); check getExecution() before trying again`,
    );
  }
  if (granted.kind !== 'granted') {
    throw new StateError(
      'planflow:invalid-state',
      `SmartScheduler.triggerNow: occurrence "${occurrence.id}" could not be triggered (${granted.kind}); it already ran or was cancelled`,
    );
  }
  return occurrence.id;
}
