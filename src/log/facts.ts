import type {
  CalendarConfig,
  CancelReason,
  CatchUpPolicyName,
  ErrorRecord,
  IsoInstant,
  Occurrence,
  OverlapPolicy,
  RunOutcome,
  SlotSkipReason,
  Task,
} from '../domain/types.js';
import { MAX_SLOTS_PER_ENTRY, type NewEvent, type PlanflowEventMap, streams } from './events.js';

// The one home of every entry the runtime appends: each fact of the catalogue in events.ts
// is built here and nowhere else, so its stream and payload shape are decided in one place.

/** The lifecycle facts the supervisor records about the scheduler itself. */
export type SchedulerLifecycleType = 'scheduler.started' | 'scheduler.paused' | 'scheduler.stopped';

/** How an occurrence's follow-up relates to it: a retry, the next recurrence, or a recovery. */
export type FollowUpKind = 'retry' | 'recurrence' | 'recovery';

/** A task was defined for the first time. */
export function taskDefined(task: Task): NewEvent {
  return { type: 'task.defined', stream: streams.task(task.id), data: { task } };
}

/** A task's definition was replaced. */
export function taskUpdated(task: Task): NewEvent {
  return { type: 'task.updated', stream: streams.task(task.id), data: { task } };
}

/** A task was removed (its pending occurrences are cancelled by their own facts). */
export function taskRemoved(taskId: string): NewEvent {
  return { type: 'task.removed', stream: streams.task(taskId), data: { taskId } };
}

/** A task was paused (`true`) or resumed (`false`). */
export function taskPauseChanged(taskId: string, paused: boolean): NewEvent {
  return paused
    ? { type: 'task.paused', stream: streams.task(taskId), data: { taskId } }
    : { type: 'task.resumed', stream: streams.task(taskId), data: { taskId } };
}

/** Slots not run, why, and the policy that decided it (see `task.slotsSkipped`). */
export type SkippedSlots = Readonly<{
  taskId: string;
  /** Oldest first. */
  slots: readonly IsoInstant[];
  reason: SlotSkipReason;
  policy: CatchUpPolicyName | OverlapPolicy;
  caughtUpBy?: string | undefined;
}>;

/**
 * Records slots of a task's recurrence that were not run: one `task.slotsSkipped` entry per
 * {@link MAX_SLOTS_PER_ENTRY} slots, so an entry stays small however many passed (a 1-minute
 * task down for a month has 43 200), and none is dropped. No slots, no entry.
 */
export function slotsSkipped(skipped: SkippedSlots): NewEvent[] {
  const { taskId, slots, reason, policy, caughtUpBy } = skipped;
  const entries: NewEvent[] = [];
  for (let i = 0; i < slots.length; i += MAX_SLOTS_PER_ENTRY) {
    entries.push({
      type: 'task.slotsSkipped',
      stream: streams.task(taskId),
      data: {
        taskId,
        slots: slots.slice(i, i + MAX_SLOTS_PER_ENTRY),
        reason,
        policy,
        ...(caughtUpBy === undefined ? {} : { caughtUpBy }),
      },
    });
  }
  return entries;
}

/** The calendar the planners decide against was set or replaced. */
export function calendarConfigured(calendar: CalendarConfig): NewEvent {
  return { type: 'calendar.configured', stream: streams.calendar, data: { calendar } };
}

/** Records an occurrence as planned; the first fact of every occurrence in the log. */
export function occurrenceScheduled(occurrence: Occurrence): NewEvent {
  return {
    type: 'occurrence.scheduled',
    stream: streams.occurrence(occurrence.id),
    data: { occurrence },
  };
}

/** Records that the calendar rejected an occurrence's slot; it will not run. */
export function occurrenceSkipped(occurrenceId: string): NewEvent {
  return {
    type: 'occurrence.skipped',
    stream: streams.occurrence(occurrenceId),
    data: { occurrenceId, reason: 'slot-unavailable' },
  };
}

/** Records that an occurrence fired and its handler starts, with the key the handler sees. */
export function occurrenceTriggered(
  occurrence: Occurrence,
  idempotencyKey: string,
  lateByMs: number,
  manual: boolean,
  instanceId: string,
): NewEvent {
  return {
    type: 'occurrence.triggered',
    stream: streams.occurrence(occurrence.id),
    data: {
      occurrenceId: occurrence.id,
      attempt: occurrence.attempt,
      idempotencyKey,
      lateByMs,
      ...(manual ? { manual: true } : {}),
      instanceId,
    },
  };
}

/**
 * Records how a run ended: `occurrence.completed`, or `occurrence.failed` with its error
 * (`interrupted` when a crash ended the run, not the handler).
 */
export function occurrenceFinished(
  occurrenceId: string,
  outcome: RunOutcome,
  interrupted = false,
): NewEvent {
  const stream = streams.occurrence(occurrenceId);
  const waited = outcome.waitedForAbandonedMs;
  const place = outcome.waitedForPlaceMs;
  const waitedFor = {
    ...(waited === undefined ? {} : { waitedForAbandonedMs: waited }),
    ...(place === undefined ? {} : { waitedForPlaceMs: place }),
  };
  if (outcome.ok) {
    return {
      type: 'occurrence.completed',
      stream,
      data: { occurrenceId, durationMs: outcome.durationMs, ...waitedFor },
    };
  }
  return {
    type: 'occurrence.failed',
    stream,
    data: {
      occurrenceId,
      durationMs: outcome.durationMs,
      error: outcome.error,
      ...waitedFor,
      ...(interrupted ? { interrupted: true } : {}),
    },
  };
}

/** The error recorded for a handler run that a crash interrupted. */
export function interruptedError(
  fleet?: Readonly<{ instanceId: string; recordedBy: string }>,
): ErrorRecord {
  const what =
    fleet === undefined
      ? 'the process ended while the handler was running'
      : `instance "${fleet.instanceId}" stopped holding its lease while the handler was running (recorded by instance "${fleet.recordedBy}")`;
  return {
    name: 'InterruptedError',
    message: `${what}; the run is counted as failed and retried per policy with the same idempotency key`,
  };
}

/** Records an occurrence as missed, late by the time between its due time and `nowMs`. */
export function occurrenceMissed(occurrence: Occurrence, nowMs: number): NewEvent {
  return {
    type: 'occurrence.missed',
    stream: streams.occurrence(occurrence.id),
    data: { occurrenceId: occurrence.id, lateByMs: nowMs - Date.parse(occurrence.scheduledFor) },
  };
}

/** Links an occurrence to the occurrence that follows it up. */
export function followedUp(parentId: string, kind: FollowUpKind, nextId: string): NewEvent {
  const stream = streams.occurrence(parentId);
  const occurrenceId = parentId;
  switch (kind) {
    case 'retry':
      return { type: 'occurrence.retried', stream, data: { occurrenceId, retryId: nextId } };
    case 'recurrence':
      return { type: 'occurrence.recurred', stream, data: { occurrenceId, nextId } };
    case 'recovery':
      return {
        type: 'occurrence.recovered',
        stream,
        data: { occurrenceId, replacementId: nextId },
      };
  }
}

/** Records a waiting occurrence as cancelled, by the user or because its task changed. */
export function occurrenceCancelled(occurrenceId: string, reason: CancelReason): NewEvent {
  return {
    type: 'occurrence.cancelled',
    stream: streams.occurrence(occurrenceId),
    data: { occurrenceId, reason },
  };
}

/** Records a supervisor lifecycle step, naming the process instance that took it. */
export function schedulerLifecycle(type: SchedulerLifecycleType, instanceId: string): NewEvent {
  return { type, stream: streams.scheduler, data: { instanceId } };
}

/** Records that the wall clock was not where the timer queue expected (sleep, a clock change). */
export function clockJumped(expectedAt: number, observedAt: number): NewEvent {
  return {
    type: 'scheduler.clock_jumped',
    stream: streams.scheduler,
    data: {
      expectedAt: new Date(expectedAt).toISOString(),
      observedAt: new Date(observedAt).toISOString(),
      driftMs: observedAt - expectedAt,
    },
  };
}

/** A period in which the store refused writes, as the scheduler saw it. */
export type DegradedPeriod = Readonly<{
  sinceMs: number;
  recoveredAtMs: number;
  failures: number;
  lastError: ErrorRecord;
}>;

/** Records a period in which the store refused writes, once it accepts them again. */
export function schedulerDegraded(instanceId: string, period: DegradedPeriod): NewEvent {
  return {
    type: 'scheduler.degraded',
    stream: streams.scheduler,
    data: {
      instanceId,
      since: new Date(period.sinceMs).toISOString(),
      recoveredAt: new Date(period.recoveredAtMs).toISOString(),
      failures: period.failures,
      lastError: period.lastError,
    },
  };
}

/** What an archive run moved into a segment and took out of the read model. */
export type ArchivedRange = Readonly<PlanflowEventMap['log.archived']>;

/** Records that an archive run sealed entries into a segment (see `log.archived`). */
export function logArchived(range: ArchivedRange): NewEvent {
  return { type: 'log.archived', stream: streams.log, data: { ...range } };
}
