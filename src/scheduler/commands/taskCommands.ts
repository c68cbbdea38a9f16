import { areSameDefinition } from '../../domain/areSameDefinition.js';
import type { CancelReason, Task, TaskChanges } from '../../domain/types.js';
import { parseTask } from '../../domain/validateTask.js';
import { applyTaskChanges } from '../../domain/validateTaskChanges.js';
import type { NewEvent } from '../../log/events.js';
import { occurrenceCancelled, taskDefined, taskRemoved, taskUpdated } from '../../log/facts.js';
import type { SchedulerTx } from '../SchedulerParts.js';
import { requireTask } from './lookups.js';
import { planFirst } from './plan.js';

// The facade's task commands. Each reads the model, decides, and appends before anything is
// armed.

/** Defines a task, or updates it when its definition changed; an unchanged one is kept. */
export async function defineTask(tx: SchedulerTx, input: unknown): Promise<Task> {
  const parts = tx.parts;
  // One reading of the clock: `createdAt`, an interval's default anchor and the first
  // occurrence must agree on what "now" was.
  const now = new Date(parts.options.clock.now());
  const task = parseTask(input, parts.occupancy.calendar, now, handlerNames(tx));
  const existing = parts.log.model.getTask(task.id);
  if (existing !== undefined) {
    if (areSameDefinition(existing, task)) return existing;
    return replaceTask(tx, existing, { ...task, createdAt: existing.createdAt }, now);
  }
  await parts.log.append([taskDefined(task)]);
  await planFirst(tx, task, now);
  return task;
}

/** Applies `changes` to a task; its identity and creation time stay. */
export async function updateTask(
  tx: SchedulerTx,
  taskId: string,
  changes: TaskChanges,
): Promise<Task> {
  const parts = tx.parts;
  const existing = requireTask(parts, taskId, 'updateTask');
  const task = applyTaskChanges(existing, changes, parts.occupancy.calendar, handlerNames(tx));
  if (areSameDefinition(existing, task)) return existing;
  return replaceTask(tx, existing, task, new Date(parts.options.clock.now()));
}

/** The registered handler names a task may name, when the scheduler was given a handler map. */
function handlerNames(tx: SchedulerTx): readonly string[] | undefined {
  const { options } = tx.parts;
  return options.hasHandlerMap ? Object.keys(options.handlers) : undefined;
}

/** Removes a task with its pending occurrences, in one batch. */
export async function removeTask(tx: SchedulerTx, taskId: string): Promise<void> {
  requireTask(tx.parts, taskId, 'removeTask');
  await tx.parts.log.append([taskRemoved(taskId), ...cancelPending(tx, taskId, 'task-removed')]);
}

async function replaceTask(tx: SchedulerTx, existing: Task, task: Task, now: Date): Promise<Task> {
  await tx.parts.log.append([taskUpdated(task), ...cancelPending(tx, existing.id, 'task-updated')]);
  await planFirst(tx, task, now);
  return task;
}

/** Cancels a task's pending occurrences' timers and actors; returns the facts recording it. */
function cancelPending(tx: SchedulerTx, taskId: string, reason: CancelReason): NewEvent[] {
  const { actors, log } = tx.parts;
  return log.model.waitingOf(taskId).map((e) => {
    actors.cancel(e.occurrenceId);
    return occurrenceCancelled(e.occurrenceId, reason);
  });
}
