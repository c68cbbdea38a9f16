import type { Occurrence } from '../domain/types.js';
import type { NewEvent } from '../log/events.js';
import { decideFollowUp, type FollowUp, outcomeEvents, seriesContinues } from './followUps.js';
import type { HandlerOutcome } from './handlers.js';
import type { SchedulerContext } from './SchedulerContext.js';
import { interruptedError } from './taskChanges.js';

/** A run's outcome and its follow-up, as the one batch that records both. */
export type OutcomeBatch = Readonly<{ followUp: FollowUp; events: NewEvent[] }>;

/**
 * Within the queue: decides the follow-up of an occurrence that ran (per the task's policy,
 * the calendar and whether its series already continues) and builds the events that record
 * the outcome with it. One batch, so a crash never leaves an outcome without its follow-up.
 */
export function outcomeBatch(
  ctx: SchedulerContext,
  occurrence: Occurrence,
  outcome: HandlerOutcome,
): OutcomeBatch {
  const model = ctx.model();
  const followUp = decideFollowUp(
    occurrence,
    model.getTask(occurrence.taskId),
    outcome,
    new Date(ctx.timers.now()),
    ctx.planning(),
    ctx.options.taskScheduler,
    () => seriesContinues(model, occurrence),
  );
  const events = outcomeEvents(
    occurrence,
    outcome,
    followUp,
    (id) => model.getOccurrence(id) !== undefined,
  );
  return { followUp, events };
}

/**
 * The batch for a run a crash interrupted: a failure marked `interrupted`, with the retry
 * (or next recurrence) its task's policy gives any failure.
 */
export function interruptedBatch(ctx: SchedulerContext, occurrence: Occurrence): OutcomeBatch {
  const outcome: HandlerOutcome = { ok: false, durationMs: 0, error: interruptedError() };
  const { followUp, events } = outcomeBatch(ctx, occurrence, outcome);
  const failed = events[0];
  if (failed?.type === 'occurrence.failed') {
    events[0] = { ...failed, data: { ...failed.data, interrupted: true } };
  }
  return { followUp, events };
}
