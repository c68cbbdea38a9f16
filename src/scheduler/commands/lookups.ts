import { NotFoundError, StateError } from '../../domain/errors.js';
import type { Execution, SchedulerStatus, Task } from '../../domain/types.js';
import { isWaiting } from '../../log/LiveModel.js';
import type { PlanningContext } from '../../planning/ports.js';
import type { SchedulerParts } from '../SchedulerParts.js';

// Small reads the commands share; each takes the parts its command's transaction gave it.

/**
 * Whether the scheduler plans and arms occurrences: when running, and when running degraded
 * (the store refuses writes). Arming needs no write, and an occurrence armed while degraded
 * is refused its time-driven trigger, then caught by the missed check once the store
 * recovers, so degraded planning loses nothing.
 */
export function isScheduling(status: SchedulerStatus): boolean {
  return status === 'running' || status === 'degraded';
}

/**
 * Whether a task is paused (`pauseTask`): its waiting occurrences are recorded but not armed,
 * not triggered by time and not recorded missed until it resumes.
 */
export function isTaskPaused(parts: SchedulerParts, taskId: string): boolean {
  return parts.log.model.getTask(taskId)?.paused === true;
}

/** What the planners need to decide: the calendar and its live occupancy. */
export function planningOf(parts: SchedulerParts): PlanningContext {
  return { calendar: parts.occupancy.calendar, occupancy: parts.occupancy };
}

export function requireTask(parts: SchedulerParts, taskId: string, method: string): Task {
  const task = parts.log.model.getTask(taskId);
  if (task === undefined) {
    throw new NotFoundError(`SmartScheduler.${method}: no task "${taskId}"; see listTasks()`);
  }
  return task;
}

/**
 * The occurrence's record when it still waits to trigger; throws otherwise (a settled
 * occurrence is looked up in the store, so the error can say what became of it).
 */
export async function requirePending(
  parts: SchedulerParts,
  occurrenceId: string,
  method: 'cancelOccurrence' | 'triggerNow',
): Promise<Execution> {
  const execution = (await parts.log.record(occurrenceId))?.execution;
  // One the live window left in the store is taken in: the command decides about it here.
  if (execution !== undefined && isWaiting(execution)) {
    await parts.log.adoptOccurrences([occurrenceId]);
  }
  if (execution === undefined) {
    throw new NotFoundError(
      `SmartScheduler.${method}: no occurrence "${occurrenceId}"; see listOccurrences()`,
    );
  }
  if (!isWaiting(execution)) {
    throw new StateError(
      'planflow:invalid-state',
      `SmartScheduler.${method}: occurrence "${occurrenceId}" is ${execution.state}, not pending; only a scheduled occurrence can be ${method === 'cancelOccurrence' ? 'cancelled' : 'triggered'}`,
    );
  }
  return execution;
}

/** The error of a method called on a scheduler that was stopped for good. */
export function stoppedError(method: string): StateError {
  return new StateError(
    'planflow:scheduler-stopped',
    `SmartScheduler.${method}: the scheduler was stopped; create a new one to schedule again`,
  );
}
