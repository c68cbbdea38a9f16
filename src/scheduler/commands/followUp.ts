import { isCatchUpRun } from '../../domain/isCatchUpRun.js';
import { makeOccurrence } from '../../domain/makeOccurrence.js';
import { isOverlapCancelled } from '../../domain/overlapCancelled.js';
import type { Occurrence, RunOutcome, Task } from '../../domain/types.js';
import type { NewEvent } from '../../log/events.js';
import {
  type FollowUpKind,
  followedUp,
  occurrenceScheduled,
  slotsSkipped,
} from '../../log/facts.js';
import type { LiveModel } from '../../log/LiveModel.js';
import { CalendarOccupancy } from '../../planning/CalendarOccupancy.js';
import { nextDueAfter } from '../../planning/dueTimes.js';
import type { PlanningContext, TaskScheduler } from '../../planning/ports.js';
import { catchUp, nextOfBatch, slotsBetween } from './slots.js';

/** What an occurrence led to after it ran: nothing, a retry, or the task's next recurrence. */
export type FollowUp =
  | Readonly<{ kind: 'none' }>
  | Readonly<{ kind: Exclude<FollowUpKind, 'recovery'>; occurrence: Occurrence }>;

/**
 * The follow-up, with what the run's end decided about the slots that came due while it ran:
 * the facts recording those not run (`task.slotsSkipped`) and catch-up runs to plan beside
 * the follow-up (after a crash interrupted the run).
 */
export type FollowUpDecision = Readonly<{
  followUp: FollowUp;
  events: readonly NewEvent[];
  extras: readonly Occurrence[];
}>;

const NONE: FollowUp = Object.freeze({ kind: 'none' });

/**
 * Decides the follow-up of an occurrence that ran, per the design's rule: a failed run is
 * retried while the task's policy allows and a slot is free; otherwise (and after a success)
 * the task's next recurrence strictly after `now` — and after the occurrence's own time, so
 * one triggered early by hand is not followed by itself again — is planned. A task removed
 * meanwhile gets nothing further, and neither does one whose series already continues with
 * another pending occurrence (`seriesPending`, e.g. after an extra manual run): a second
 * recurrence would start a second, parallel series.
 *
 * The slots of the recurrence that came due while the run ran (after the slot it stood for,
 * up to now) are the task's `overlap` policy's: `skip` records them and plans the next
 * recurrence after now; `bufferOne` runs the latest of them now and records the others;
 * `bufferAll` runs the first of them now (its own end runs the next, and so on). Under
 * `allowAll` and `cancelOther` the next recurrence was planned when the run started, so the
 * series continues without this decision. A run a crash interrupted hands them to the
 * task's `catchUp` policy instead (`downtime`). A retry counts from its first attempt's slot
 * (`firstAttempt`), so the slots that passed while it waited are decided too. A catch-up or
 * backfill run is followed by
 * the next run of its batch, never retried, and never continues the series; a run cancelled
 * by `cancelOther` is not retried either.
 */
export function decideFollowUp(
  occurrence: Occurrence,
  task: Task | undefined,
  outcome: RunOutcome,
  now: Date,
  ctx: PlanningContext,
  scheduler: TaskScheduler,
  seriesPending: () => boolean = () => false,
  interrupted = false,
  firstAttempt: Occurrence = occurrence,
): FollowUpDecision {
  const none: FollowUpDecision = { followUp: NONE, events: [], extras: [] };
  if (task === undefined) return none;
  const nowMs = now.getTime();
  if (isCatchUpRun(occurrence)) {
    const zone = ctx.calendar.timeZone;
    const next = nextOfBatch(occurrence, nowMs, (afterMs) =>
      occurrence.cause === 'backfill'
        ? placedSlotAfter(task, afterMs, scheduler, ctx)
        : nextDueAfter(task, afterMs, zone),
    );
    return next === undefined
      ? none
      : { ...none, followUp: { kind: 'recurrence', occurrence: next } };
  }
  if (!outcome.ok && !isOverlapCancelled(outcome) && scheduler.shouldRetry(occurrence, task)) {
    const retry = scheduler.retryOccurrence(occurrence, task, now, ctx);
    if (retry !== undefined) {
      return { ...none, followUp: { kind: 'retry', occurrence: withParent(retry, occurrence) } };
    }
  }
  if (task.recurrence === undefined || seriesPending()) return none;
  const recurrence = (): FollowUp => {
    const from = new Date(Math.max(nowMs, Date.parse(occurrence.scheduledFor)));
    const next = scheduler.nextOccurrence(task, from, ctx);
    if (next === undefined || next.id === occurrence.id) return NONE;
    return { kind: 'recurrence', occurrence: withParent(next, occurrence) };
  };
  // A manual run (or a retry of one) stands for no slot of the series.
  if (occurrence.cause === 'manual' || firstAttempt.cause === 'manual') {
    return { ...none, followUp: recurrence() };
  }
  // A retry stands for its first attempt's slot: the slots that came due while the first
  // attempt and its retries ran are the overlap policy's too.
  const cursorMs = Date.parse(firstAttempt.slot ?? firstAttempt.scheduledFor);
  const came = slotsBetween(task, cursorMs, nowMs, ctx.calendar.timeZone);
  if (interrupted) {
    const plan = catchUp(task, [], came, nowMs, 'downtime', occurrence.id);
    return { followUp: recurrence(), events: plan.events, extras: plan.runs };
  }
  const policy = task.overlap ?? 'skip';
  const iso = (ms: number) => new Date(ms).toISOString();
  const skipped = (slots: readonly number[]) =>
    slotsSkipped({ taskId: task.id, slots: slots.map(iso), reason: 'overlap', policy });
  if (came.length > 0 && (policy === 'bufferOne' || policy === 'bufferAll')) {
    const slot = policy === 'bufferOne' ? came.at(-1)! : came[0]!;
    const buffered = makeOccurrence({
      taskId: task.id,
      cause: 'recurrence',
      scheduledFor: now,
      slot: iso(slot),
      parentId: occurrence.id,
    });
    const events = policy === 'bufferOne' ? skipped(came.slice(0, -1)) : [];
    return { followUp: { kind: 'recurrence', occurrence: buffered }, events, extras: [] };
  }
  return { followUp: recurrence(), events: skipped(came), extras: [] };
}

/**
 * The first slot strictly after `afterMs` the task's recurrence would have had, placed on the
 * calendar as `nextRuns` places it but on an empty calendar (a past range's own occupancy is
 * not known): the slots of a backfill.
 */
export function placedSlotAfter(
  task: Task,
  afterMs: number,
  scheduler: TaskScheduler,
  ctx: PlanningContext,
): number | undefined {
  const empty: PlanningContext = {
    calendar: ctx.calendar,
    occupancy: new CalendarOccupancy(ctx.calendar),
  };
  const next = scheduler.nextOccurrence(task, new Date(afterMs), empty);
  return next === undefined ? undefined : Date.parse(next.scheduledFor);
}

/**
 * True when a task's series already continues without `occurrence`: another of the task's
 * occurrences is still waiting to trigger. Extra manual, catch-up and backfill occurrences do
 * not carry the series, so they do not count.
 */
export function seriesContinues(model: LiveModel, occurrence: Occurrence): boolean {
  return model.hasWaiting(
    occurrence.taskId,
    occurrence.id,
    (e) => e.cause !== 'manual' && !isCatchUpRun(e),
  );
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
