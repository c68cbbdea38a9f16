import { applyRecipe } from '../../domain/applyRecipe.js';
import { areSameDefinition } from '../../domain/areSameDefinition.js';
import { ValidationError } from '../../domain/errors.js';
import type {
  CancelReason,
  Occurrence,
  Task,
  TaskChanges,
  TaskRecipe,
} from '../../domain/types.js';
import { parseTask } from '../../domain/validateTask.js';
import { applyTaskChanges } from '../../domain/validateTaskChanges.js';
import { describeValue } from '../../domain/validationFailure.js';
import type { NewEvent } from '../../log/events.js';
import {
  occurrenceCancelled,
  taskDefined,
  taskPauseChanged,
  taskRemoved,
  taskUpdated,
} from '../../log/facts.js';
import type { SchedulerTx } from '../SchedulerParts.js';
import { adoptTask } from './adoptTask.js';
import { isScheduling, planningOf, requireTask } from './lookups.js';
import { checkMissed } from './missedCheck.js';
import { type Claim, plan, planFirst } from './plan.js';

// The facade's task commands. Each reads the model, decides, and appends before anything is
// armed.

/** What a task command did: the task as it is now, and the claims of a resume's missed check. */
export type TaskResult = Readonly<{ task: Task; claims: Claim[] }>;

/**
 * Defines a task, or updates it when its definition changed; an unchanged one is kept. A
 * `paused` given in the input pauses or resumes it; left out, an existing task keeps its state.
 */
export async function defineTask(tx: SchedulerTx, input: unknown): Promise<TaskResult> {
  const parts = tx.parts;
  // One reading of the clock: `createdAt`, an interval's default anchor and the first
  // occurrence must agree on what "now" was.
  const now = new Date(parts.options.clock.now());
  const parsed = parseTask(input, parts.occupancy.calendar, now, handlerNames(tx));
  // Validated above: a boolean or absent.
  const asked = (input as { paused?: boolean }).paused;
  const existing = parts.log.model.getTask(parsed.id);
  const paused = asked ?? existing?.paused === true;
  if (existing !== undefined) {
    return changeTask(tx, existing, { ...parsed, createdAt: existing.createdAt }, paused, now);
  }
  const task = withPaused(parsed, false);
  await parts.log.append([taskDefined(task), ...(paused ? [taskPauseChanged(task.id, true)] : [])]);
  await planFirst(tx, task, now);
  return { task: currentTask(tx, task.id), claims: [] };
}

/** Applies `changes` to a task; its identity and creation time stay. */
export async function updateTask(
  tx: SchedulerTx,
  taskId: string,
  changes: TaskChanges,
): Promise<TaskResult> {
  const parts = tx.parts;
  const existing = requireTask(parts, taskId, 'updateTask');
  const task = applyTaskChanges(existing, changes, parts.occupancy.calendar, handlerNames(tx));
  const paused = changes.paused === undefined ? existing.paused === true : changes.paused === true;
  return changeTask(tx, existing, task, paused, new Date(parts.options.clock.now()));
}

/**
 * Applies an immer-style recipe to a task: the recipe gets a deep copy of the task as it is
 * now, and what it leaves (or returns) is the whole new task, validated like `defineTask`
 * input. `id` and `createdAt` must stay; `paused` left set keeps the task paused, taken away
 * resumes it.
 */
export async function updateTaskWith(
  tx: SchedulerTx,
  taskId: string,
  recipe: TaskRecipe,
): Promise<TaskResult> {
  const parts = tx.parts;
  const existing = requireTask(parts, taskId, 'updateTask');
  const result = applyRecipe(existing, recipe, 'updateTask') as Readonly<Record<string, unknown>>;
  for (const key of ['id', 'createdAt'] as const) {
    if (result[key] !== existing[key]) {
      throw new ValidationError(
        'planflow:invalid-task',
        key,
        `SmartScheduler.updateTask: the recipe changed the task's ${key} from ${JSON.stringify(existing[key])} to ${describeValue(result[key])}; a task keeps its id and creation time (define a new task to change them). Nothing was changed`,
      );
    }
  }
  const task = parseTask(result, parts.occupancy.calendar, undefined, handlerNames(tx));
  return changeTask(tx, existing, task, task.paused === true, new Date(parts.options.clock.now()));
}

/** Pauses (`paused` true) or resumes a task; nothing is recorded when it already is so. */
export async function setTaskPaused(
  tx: SchedulerTx,
  taskId: string,
  paused: boolean,
  method: 'pauseTask' | 'resumeTask',
): Promise<TaskResult> {
  const existing = requireTask(tx.parts, taskId, method);
  return changeTask(tx, existing, existing, paused, new Date(tx.parts.options.clock.now()));
}

/**
 * Moves a task to `next`'s definition and to the pause state `paused`, each change its own
 * fact: a pause is recorded first (so the new definition's first occurrence is recorded but
 * not armed), a resume last (so it arms what the new definition planned).
 */
async function changeTask(
  tx: SchedulerTx,
  existing: Task,
  next: Task,
  paused: boolean,
  now: Date,
): Promise<TaskResult> {
  const wasPaused = existing.paused === true;
  if (paused && !wasPaused) await pause(tx, existing.id);
  if (!areSameDefinition(existing, next)) {
    await replaceTask(
      tx,
      existing,
      withPaused(next, currentTask(tx, existing.id).paused === true),
      now,
    );
  }
  const claims = !paused && wasPaused ? await resume(tx, existing.id) : [];
  return { task: currentTask(tx, existing.id), claims };
}

/** The task as the model holds it now. */
function currentTask(tx: SchedulerTx, taskId: string): Task {
  return tx.parts.log.model.getTask(taskId)!;
}

/** `task` with its pause state set to `paused`. */
function withPaused(task: Task, paused: boolean): Task {
  const { paused: _was, ...rest } = task;
  return Object.freeze(paused ? { ...rest, paused: true as const } : rest);
}

/**
 * Records the pause, then lets go of the task's waiting occurrences' timers and actors: they
 * stay scheduled in the log. A claim already queued is refused (the task is paused by the
 * time it is decided); a handler already running finishes and its follow-up is recorded,
 * not armed.
 */
async function pause(tx: SchedulerTx, taskId: string): Promise<void> {
  const { actors, log } = tx.parts;
  await adoptTask(tx, taskId);
  await log.append([taskPauseChanged(taskId, true)]);
  for (const execution of log.model.waitingOf(taskId)) actors.release(execution.occurrenceId);
}

/**
 * Records the resume, arms the task's waiting occurrences that are still to come, and runs
 * the missed check for the ones whose time passed while it was paused: late within grace they
 * trigger now, later they are recorded missed and recovered, as after a downtime. Returns the
 * claims of that check.
 */
async function resume(tx: SchedulerTx, taskId: string): Promise<Claim[]> {
  const parts = tx.parts;
  const model = parts.log.model;
  await adoptTask(tx, taskId);
  await parts.log.append([taskPauseChanged(taskId, false)]);
  if (!isScheduling(parts.supervisor.status)) return [];
  const now = parts.timers.now();
  for (const execution of model.waitingOf(taskId)) {
    if (Date.parse(execution.scheduledFor) <= now) continue;
    const occurrence = model.getOccurrence(execution.occurrenceId);
    if (occurrence !== undefined) await plan(tx, occurrence);
  }
  return checkMissed(tx, taskId, 'paused');
}

/** The registered handler names a task may name, when the scheduler was given a handler map. */
function handlerNames(tx: SchedulerTx): readonly string[] | undefined {
  const { options } = tx.parts;
  return options.hasHandlerMap ? Object.keys(options.handlers) : undefined;
}

/** Removes a task with its pending occurrences, in one batch. */
export async function removeTask(tx: SchedulerTx, taskId: string): Promise<void> {
  requireTask(tx.parts, taskId, 'removeTask');
  await adoptTask(tx, taskId);
  await tx.parts.log.append([taskRemoved(taskId), ...cancelPending(tx, taskId, 'task-removed')]);
}

/**
 * Records the new definition, cancels the task's waiting occurrences and plans the new
 * definition's first one. When that first occurrence is one already waiting (the change did
 * not move it: a new title, a handler), it is kept rather than cancelled: an occurrence id is
 * used once, so a cancelled one could never be scheduled again and the task would lose its
 * next run. The first occurrence is decided as if the waiting ones had gone.
 */
async function replaceTask(tx: SchedulerTx, existing: Task, task: Task, now: Date): Promise<void> {
  const parts = tx.parts;
  const { occupancy, log } = parts;
  await adoptTask(tx, existing.id);
  const waiting = log.model.waitingOf(existing.id);
  for (const execution of waiting) occupancy.release(execution.occurrenceId);
  let first: Occurrence | undefined;
  try {
    first = parts.options.taskScheduler.firstOccurrence(task, now, planningOf(parts));
  } finally {
    for (const execution of waiting) occupancy.hold(execution.occurrenceId, execution.scheduledFor);
  }
  const kept = waiting.some((e) => e.occurrenceId === first?.id) ? first?.id : undefined;
  await log.append([taskUpdated(task), ...cancelPending(tx, existing.id, 'task-updated', kept)]);
  if (first === undefined) return;
  await plan(tx, kept === undefined ? first : (log.model.getOccurrence(kept) ?? first));
}

/** Cancels a task's pending occurrences' timers and actors; returns the facts recording it. */
function cancelPending(
  tx: SchedulerTx,
  taskId: string,
  reason: CancelReason,
  keep?: string,
): NewEvent[] {
  const { actors, log } = tx.parts;
  return log.model
    .waitingOf(taskId)
    .filter((e) => e.occurrenceId !== keep)
    .map((e) => {
      actors.cancel(e.occurrenceId);
      return occurrenceCancelled(e.occurrenceId, reason);
    });
}
