import type { Occurrence, Task } from '../domain/types.js';
import { type NewEvent, streams } from '../log/events.js';
import type { ReadModel } from '../log/ReadModel.js';
import type { PlanningContext, TaskScheduler } from '../planning/ports.js';
import type { HandlerOutcome } from './handlers.js';

/** What an occurrence led to after it ran: nothing, a retry, or the task's next recurrence. */
export type FollowUp =
  | Readonly<{ kind: 'none' }>
  | Readonly<{ kind: 'retry' | 'recurrence'; occurrence: Occurrence }>;

/**
 * Decides the follow-up of an occurrence that ran, per the design's rule: a failed run is
 * retried while the task's policy allows and a slot is free; otherwise (and after a success)
 * the task's next recurrence strictly after `now` — and after the occurrence's own time, so
 * one triggered early by hand is not followed by itself again — is planned. A task removed
 * meanwhile gets nothing further, and neither does one whose series already continues with
 * another pending occurrence (`seriesPending`, e.g. after an extra manual run): a second
 * recurrence would start a second, parallel series.
 */
export function decideFollowUp(
  occurrence: Occurrence,
  task: Task | undefined,
  outcome: HandlerOutcome,
  now: Date,
  ctx: PlanningContext,
  scheduler: TaskScheduler,
  seriesPending: () => boolean = () => false,
): FollowUp {
  if (task === undefined) return { kind: 'none' };
  if (!outcome.ok && scheduler.shouldRetry(occurrence, task)) {
    const retry = scheduler.retryOccurrence(occurrence, task, now, ctx);
    if (retry !== undefined) return { kind: 'retry', occurrence: withParent(retry, occurrence) };
  }
  if (task.recurrence === undefined || seriesPending()) return { kind: 'none' };
  const from = new Date(Math.max(now.getTime(), Date.parse(occurrence.scheduledFor)));
  const next = scheduler.nextOccurrence(task, from, ctx);
  if (next === undefined || next.id === occurrence.id) return { kind: 'none' };
  return { kind: 'recurrence', occurrence: withParent(next, occurrence) };
}

/**
 * True when a task's series already continues without `occurrence`: another of the task's
 * occurrences is still waiting to trigger. Extra manual occurrences do not carry the
 * series, so they do not count.
 */
export function seriesContinues(model: ReadModel, occurrence: Occurrence): boolean {
  return model.hasWaiting(occurrence.taskId, occurrence.id, (e) => e.cause !== 'manual');
}

function withParent(next: Occurrence, parent: Occurrence): Occurrence {
  return next.parentId === undefined ? Object.freeze({ ...next, parentId: parent.id }) : next;
}

/** The events recording a run's outcome and its follow-up, appended as one atomic batch. */
export function outcomeEvents(
  occurrence: Occurrence,
  outcome: HandlerOutcome,
  followUp: FollowUp,
  alreadyKnown: (occurrenceId: string) => boolean,
): NewEvent[] {
  const stream = streams.occurrence(occurrence.id);
  const waited = outcome.waitedForAbandonedMs;
  const waitedFor = waited === undefined ? {} : { waitedForAbandonedMs: waited };
  const events: NewEvent[] = [
    outcome.ok
      ? {
          type: 'occurrence.completed',
          stream,
          data: { occurrenceId: occurrence.id, durationMs: outcome.durationMs, ...waitedFor },
        }
      : {
          type: 'occurrence.failed',
          stream,
          data: {
            occurrenceId: occurrence.id,
            durationMs: outcome.durationMs,
            error: outcome.error,
            ...waitedFor,
          },
        },
  ];
  if (followUp.kind !== 'none') events.push(...linkEvents(occurrence, followUp, alreadyKnown));
  return events;
}

/** `occurrence.scheduled` for the follow-up (unless the log already has it) and the link. */
export function linkEvents(
  parent: Occurrence,
  followUp: Readonly<{ kind: 'retry' | 'recurrence' | 'recovery'; occurrence: Occurrence }>,
  alreadyKnown: (occurrenceId: string) => boolean,
): NewEvent[] {
  const next = followUp.occurrence;
  const events: NewEvent[] = [];
  if (!alreadyKnown(next.id)) {
    events.push({
      type: 'occurrence.scheduled',
      stream: streams.occurrence(next.id),
      data: { occurrence: next },
    });
  }
  const stream = streams.occurrence(parent.id);
  const occurrenceId = parent.id;
  if (followUp.kind === 'retry') {
    events.push({ type: 'occurrence.retried', stream, data: { occurrenceId, retryId: next.id } });
  } else if (followUp.kind === 'recurrence') {
    events.push({ type: 'occurrence.recurred', stream, data: { occurrenceId, nextId: next.id } });
  } else {
    events.push({
      type: 'occurrence.recovered',
      stream,
      data: { occurrenceId, replacementId: next.id },
    });
  }
  return events;
}
