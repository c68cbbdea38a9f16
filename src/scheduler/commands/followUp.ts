import type { Occurrence, RunOutcome, Task } from '../../domain/types.js';
import type { NewEvent } from '../../log/events.js';
import { type FollowUpKind, followedUp, occurrenceScheduled } from '../../log/facts.js';
import type { LiveModel } from '../../log/LiveModel.js';
import type { PlanningContext, TaskScheduler } from '../../planning/ports.js';

/** What an occurrence led to after it ran: nothing, a retry, or the task's next recurrence. */
export type FollowUp =
  | Readonly<{ kind: 'none' }>
  | Readonly<{ kind: Exclude<FollowUpKind, 'recovery'>; occurrence: Occurrence }>;

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
  outcome: RunOutcome,
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
export function seriesContinues(model: LiveModel, occurrence: Occurrence): boolean {
  return model.hasWaiting(occurrence.taskId, occurrence.id, (e) => e.cause !== 'manual');
}

function withParent(next: Occurrence, parent: Occurrence): Occurrence {
  return next.parentId === undefined ? Object.freeze({ ...next, parentId: parent.id }) : next;
}

/** `occurrence.scheduled` for the follow-up (unless the log already has it) and the link. */
export function linkEvents(
  parent: Occurrence,
  kind: FollowUpKind,
  next: Occurrence,
  alreadyKnown: (occurrenceId: string) => boolean,
): NewEvent[] {
  const events: NewEvent[] = [];
  if (!alreadyKnown(next.id)) events.push(occurrenceScheduled(next));
  events.push(followedUp(parent.id, kind, next.id));
  return events;
}
