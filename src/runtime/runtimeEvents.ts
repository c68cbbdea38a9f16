import type { Occurrence } from '../domain/types.js';
import { type NewEvent, streams } from '../log/events.js';

/** The lifecycle facts the supervisor records about the scheduler itself. */
export type SchedulerLifecycleType = 'scheduler.started' | 'scheduler.paused' | 'scheduler.stopped';

/** Records an occurrence as planned; the first fact of every occurrence in the log. */
export function scheduledEvent(occurrence: Occurrence): NewEvent {
  return {
    type: 'occurrence.scheduled',
    stream: streams.occurrence(occurrence.id),
    data: { occurrence },
  };
}

/** Records that the calendar rejected an occurrence's slot; it will not run. */
export function skippedEvent(occurrenceId: string): NewEvent {
  return {
    type: 'occurrence.skipped',
    stream: streams.occurrence(occurrenceId),
    data: { occurrenceId, reason: 'slot-unavailable' },
  };
}

/** Records an occurrence as missed, late by the time between its due time and `nowMs`. */
export function missedEvent(occurrence: Occurrence, nowMs: number): NewEvent {
  return {
    type: 'occurrence.missed',
    stream: streams.occurrence(occurrence.id),
    data: { occurrenceId: occurrence.id, lateByMs: nowMs - Date.parse(occurrence.scheduledFor) },
  };
}

/** Records a waiting occurrence as cancelled, by the user or because its task changed. */
export function cancelledEvent(
  occurrenceId: string,
  reason: 'user' | 'task-removed' | 'task-updated',
): NewEvent {
  return {
    type: 'occurrence.cancelled',
    stream: streams.occurrence(occurrenceId),
    data: { occurrenceId, reason },
  };
}

/** Records a supervisor lifecycle step, naming the process instance that took it. */
export function schedulerEvent(type: SchedulerLifecycleType, instanceId: string): NewEvent {
  return { type, stream: streams.scheduler, data: { instanceId } };
}

/** Records that the wall clock was not where the timer queue expected (sleep, a clock change). */
export function clockJumpedEvent(expectedAt: number, observedAt: number): NewEvent {
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
