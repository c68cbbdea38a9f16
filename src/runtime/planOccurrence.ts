import type { Occurrence, Task } from '../domain/types.js';
import type { NewEvent } from '../log/events.js';
import type { ClaimResult } from './OccurrenceRunner.js';
import { scheduledEvent, skippedEvent } from './runtimeEvents.js';
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
    await ctx.append([...(known ? [] : [scheduledEvent(occurrence)]), skippedEvent(occurrence.id)]);
    return { result: 'skipped' };
  }
  if (!known) await ctx.append([scheduledEvent(occurrence)]);
  if (ctx.supervisor.status !== 'running') return { result: 'paused' };
  const claim = ctx.arming.arm(occurrence);
  return claim === undefined ? { result: 'armed' } : { result: 'armed', claim };
}

/** What planning a list of occurrences did: a result per item, and the claims of due ones. */
export type PlanResults = Readonly<{
  results: ScheduleResult[];
  claims: Promise<ClaimResult | undefined>[];
}>;

/** Where an id stands after the items of a batch decided so far. */
type Decided = 'pending' | 'done';

/**
 * Within the queue: {@link plan} for every item of a list, in order, as one decision and one
 * append. Each item is decided exactly as `plan` would decide it after the items before it
 * were recorded: an id recorded or skipped earlier in the list counts as known, and the
 * calendar sees the places taken and freed by earlier items (the live occupancy is updated
 * as the batch decides; folding the batch's events then finds it already right). All the
 * `occurrence.scheduled` and `occurrence.skipped` events go into one append, then the armed
 * ones get their timers, in list order. The caller checks that the scheduler runs.
 *
 * One difference from planning the items one by one: an item due now is claimed after the
 * whole list was recorded, not before the next item, so its trigger follows the batch in
 * the log. A later item with the same id is `'not-pending'` either way.
 */
export async function planAll(
  ctx: SchedulerContext,
  occurrences: readonly Occurrence[],
): Promise<PlanResults> {
  const model = ctx.model();
  const occupancy = ctx.occupancy!;
  const planning = ctx.planning();
  const planner = ctx.options.calendarPlanner;
  const now = ctx.timers.now();
  const decided = new Map<string, Decided>();
  const results: ScheduleResult[] = [];
  const events: NewEvent[] = [];
  // What each decided item does to timers, in list order: arm an occurrence, or disarm an id.
  const timerSteps: (Occurrence | string)[] = [];
  for (const occurrence of occurrences) {
    const id = occurrence.id;
    let known: boolean;
    const earlier = decided.get(id);
    if (earlier !== undefined) {
      known = true;
      if (earlier === 'done') {
        results.push('not-pending');
        continue;
      }
    } else {
      const execution = model.getExecution(id);
      known = execution !== undefined;
      if (execution !== undefined && (execution.triggered || execution.state !== 'scheduled')) {
        results.push('not-pending');
        continue;
      }
    }
    const at = new Date(occurrence.scheduledFor);
    const fits =
      occurrence.pinnedTime !== undefined
        ? planner.isPinnedTimeValid(at, planning, id)
        : planner.isSlotAvailable(at, planning, id);
    if (!fits) {
      if (!known) events.push(scheduledEvent(occurrence));
      events.push(skippedEvent(id));
      occupancy.release(id);
      decided.set(id, 'done');
      timerSteps.push(id);
      results.push('skipped');
      continue;
    }
    if (!known) {
      events.push(scheduledEvent(occurrence));
      occupancy.hold(id, occurrence.scheduledFor);
    }
    // Due now (or already triggering): it triggers once armed, so a repeat of it is not
    // pending any more, as it would not be after a one-by-one call awaited its claim.
    const triggers = Date.parse(occurrence.scheduledFor) <= now || ctx.arming.isTriggering(id);
    decided.set(id, triggers ? 'done' : 'pending');
    timerSteps.push(occurrence);
    results.push('armed');
  }
  // Skipped occurrences lose their timers before the fact is recorded, as in `plan`.
  for (const step of timerSteps) if (typeof step === 'string') ctx.arming.disarm(step);
  if (events.length > 0) {
    try {
      await ctx.append(events);
    } catch (error) {
      // Nothing was recorded: the places this batch took or freed are put back as the log has them.
      occupancy.reset(ctx.calendar(), model.listExecutions());
      throw error;
    }
  }
  const claims: Promise<ClaimResult | undefined>[] = [];
  for (const step of timerSteps) {
    // Again, in order: an id armed by one item and skipped by a later one ends up disarmed.
    if (typeof step === 'string') {
      ctx.arming.disarm(step);
      continue;
    }
    const claim = ctx.arming.arm(step);
    if (claim !== undefined) claims.push(claim);
  }
  return { results, claims };
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
