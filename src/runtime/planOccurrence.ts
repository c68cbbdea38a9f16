import type { Occurrence, Task } from '../domain/types.js';
import { streams } from '../log/events.js';
import type { ClaimResult } from './OccurrenceRunner.js';
import { scheduledEvent } from './runtimeEvents.js';
import type { SchedulerContext } from './SchedulerContext.js';
import type { ScheduleResult } from './SmartScheduler.js';

/** What planning an occurrence did, and the claim of one that was due and triggers at once. */
export type PlanResult = Readonly<{
  result: ScheduleResult;
  claim?: Promise<ClaimResult | undefined>;
}>;

/**
 * Within the queue: records an occurrence (or its skip) and arms it when the scheduler runs.
 * The calendar check excludes the occurrence's own place, so re-arming never rejects itself.
 */
export async function plan(ctx: SchedulerContext, occurrence: Occurrence): Promise<PlanResult> {
  const execution = ctx.model().getExecution(occurrence.id);
  if (execution !== undefined && (execution.triggered || execution.state !== 'scheduled')) {
    return { result: 'not-pending' };
  }
  const at = new Date(occurrence.scheduledFor);
  const planning = ctx.planning();
  const planner = ctx.options.calendarPlanner;
  const fits =
    occurrence.pinnedTime !== undefined
      ? planner.isPinnedTimeValid(at, planning, occurrence.id)
      : planner.isSlotAvailable(at, planning, occurrence.id);
  const known = execution !== undefined;
  if (!fits) {
    ctx.arming.disarm(occurrence.id);
    await ctx.append([
      ...(known ? [] : [scheduledEvent(occurrence)]),
      {
        type: 'occurrence.skipped',
        stream: streams.occurrence(occurrence.id),
        data: { occurrenceId: occurrence.id, reason: 'slot-unavailable' },
      },
    ]);
    return { result: 'skipped' };
  }
  if (!known) await ctx.append([scheduledEvent(occurrence)]);
  if (ctx.supervisor.status !== 'running') return { result: 'paused' };
  const claim = ctx.arming.arm(occurrence);
  return claim === undefined ? { result: 'armed' } : { result: 'armed', claim };
}

/** Within the queue: plans a new or changed task's first occurrence, if it has one. */
export async function planFirst(ctx: SchedulerContext, task: Task, now: Date): Promise<void> {
  const first = ctx.options.taskScheduler.firstOccurrence(task, now, ctx.planning());
  if (first !== undefined) await plan(ctx, first);
}

/** Within the queue: re-arms every pending occurrence due in the future (no-op unless running). */
export async function scheduleAll(ctx: SchedulerContext): Promise<void> {
  if (ctx.supervisor.status !== 'running') return;
  ctx.arming.disarmAll();
  const now = ctx.timers.now();
  const model = ctx.model();
  for (const execution of model.listExecutions({ state: 'scheduled' })) {
    if (execution.triggered || Date.parse(execution.scheduledFor) <= now) continue;
    await plan(ctx, model.getOccurrence(execution.occurrenceId)!);
  }
}
