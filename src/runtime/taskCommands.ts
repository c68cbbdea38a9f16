import type { Task } from '../domain/types.js';
import { parseTask } from '../domain/validateTask.js';
import { type NewEvent, streams } from '../log/events.js';
import { planFirst } from './planOccurrence.js';
import { cancelledEvent } from './runtimeEvents.js';
import type { SchedulerContext } from './SchedulerContext.js';
import { areSameDefinition } from './taskChanges.js';

// The facade's task commands. Each runs within the command queue: it reads the model,
// decides, and appends before anything is armed.

/** Defines a task, or updates it when its definition changed; an unchanged one is kept. */
export async function defineTask(ctx: SchedulerContext, input: unknown): Promise<Task> {
  // One reading of the clock: `createdAt`, an interval's default anchor and the first
  // occurrence must agree on what "now" was.
  const now = new Date(ctx.options.clock.now());
  const task = parseTask(input, ctx.calendar(), now);
  const existing = ctx.model().getTask(task.id);
  if (existing !== undefined) {
    if (areSameDefinition(existing, task)) return existing;
    return replaceTask(ctx, existing, { ...task, createdAt: existing.createdAt }, now);
  }
  await ctx.append([{ type: 'task.defined', stream: streams.task(task.id), data: { task } }]);
  await planFirst(ctx, task, now);
  return task;
}

/** Applies `changes` to a task; its identity and creation time stay. */
export async function updateTask(
  ctx: SchedulerContext,
  taskId: string,
  changes: Readonly<Record<string, unknown>>,
): Promise<Task> {
  const existing = ctx.requireTask(taskId, 'updateTask');
  const task = parseTask(
    { ...existing, ...changes, id: existing.id, createdAt: existing.createdAt },
    ctx.calendar(),
  );
  if (areSameDefinition(existing, task)) return existing;
  return replaceTask(ctx, existing, task, new Date(ctx.options.clock.now()));
}

/** Removes a task with its pending occurrences, in one batch. */
export async function removeTask(ctx: SchedulerContext, taskId: string): Promise<void> {
  ctx.requireTask(taskId, 'removeTask');
  await ctx.append([
    { type: 'task.removed', stream: streams.task(taskId), data: { taskId } },
    ...cancelPending(ctx, taskId, 'task-removed'),
  ]);
}

async function replaceTask(
  ctx: SchedulerContext,
  existing: Task,
  task: Task,
  now: Date,
): Promise<Task> {
  await ctx.append([
    { type: 'task.updated', stream: streams.task(task.id), data: { task } },
    ...cancelPending(ctx, existing.id, 'task-updated'),
  ]);
  await planFirst(ctx, task, now);
  return task;
}

/** Disarms a task's pending occurrences and returns the events that cancel them. */
function cancelPending(
  ctx: SchedulerContext,
  taskId: string,
  reason: 'task-removed' | 'task-updated',
): NewEvent[] {
  return ctx
    .model()
    .listExecutions({ taskId, state: 'scheduled' })
    .filter((e) => !e.triggered)
    .map((e) => {
      ctx.arming.disarm(e.occurrenceId);
      return cancelledEvent(e.occurrenceId, reason);
    });
}
