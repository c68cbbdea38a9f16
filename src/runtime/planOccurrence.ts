import type { Occurrence, Task } from '../domain/types.js';
import type { NewEvent } from '../log/events.js';
import { isWaiting } from '../log/ReadModel.js';
import type { PlanningContext } from '../planning/ports.js';
import type { ClaimResult } from './OccurrenceRunner.js';
import { markMissedAndRecover } from './recovery.js';
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
  if (execution !== undefined && !isWaiting(execution)) return { result: 'not-pending' };
  const known = execution !== undefined;
  if (!fitsCalendar(ctx, occurrence, ctx.planning())) {
    ctx.arming.disarm(occurrence.id);
    await ctx.append([...(known ? [] : [scheduledEvent(occurrence)]), skippedEvent(occurrence.id)]);
    return { result: 'skipped' };
  }
  if (!known) await ctx.append([scheduledEvent(occurrence)]);
  if (ctx.supervisor.status !== 'running') return { result: 'paused' };
  const claim = ctx.arming.arm(occurrence);
  return claim === undefined ? { result: 'armed' } : { result: 'armed', claim };
}

/**
 * The calendar check of one occurrence (a pinned time has its own rule), excluding its own
 * place so that re-arming never rejects itself.
 */
function fitsCalendar(ctx: SchedulerContext, occurrence: Occurrence, planning: PlanningContext) {
  const at = new Date(occurrence.scheduledFor);
  const planner = ctx.options.calendarPlanner;
  return occurrence.pinnedTime !== undefined
    ? planner.isPinnedTimeValid(at, planning, occurrence.id)
    : planner.isSlotAvailable(at, planning, occurrence.id);
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
 * the log. A later item with the same id is `'not-pending'` either way. An item late beyond
 * grace is the exception: its claim would record a miss and plan a recovery that takes a
 * place, so the items before it are recorded, its miss and recovery follow, and the rest of
 * the list is decided after them (one more append per such item).
 */
export async function planAll(
  ctx: SchedulerContext,
  occurrences: readonly Occurrence[],
): Promise<PlanResults> {
  const model = ctx.model();
  const occupancy = ctx.occupancy!;
  const batch: Batch = { now: ctx.timers.now(), decided: new Map() };
  const results: ScheduleResult[] = [];
  const claims: Promise<ClaimResult | undefined>[] = [];
  let next = 0;
  do {
    let decisions: Decisions;
    try {
      decisions = decideAll(ctx, occurrences, next, batch);
      // Skipped occurrences lose their timers before the fact is recorded, as in `plan`.
      for (const step of decisions.timerSteps) {
        if (typeof step === 'string') ctx.arming.disarm(step);
      }
      if (decisions.events.length > 0) await ctx.append(decisions.events);
    } catch (error) {
      // Nothing of this part was recorded (a planner threw while deciding, or the append
      // failed): the places it took or freed as it decided are put back as the log has them.
      occupancy.reset(ctx.calendar(), model.listExecutions());
      throw error;
    }
    results.push(...decisions.results);
    for (const step of decisions.timerSteps) {
      // Again, in order: an id armed by one item and skipped by a later one ends up disarmed.
      if (typeof step === 'string') {
        ctx.arming.disarm(step);
        continue;
      }
      const claim = ctx.arming.arm(step);
      if (claim !== undefined) claims.push(claim);
    }
    if (decisions.late !== undefined) {
      // What its claim would do one by one, before the next item is decided: record the miss
      // and plan its recovery, which takes a place the items after it must see. A failure is
      // reported, as the claim's would be, and the list goes on.
      await markMissedAndRecover(ctx, [decisions.late], batch.now).catch(ctx.report);
    }
    next = decisions.next;
  } while (next < occurrences.length);
  return { results, claims };
}

/** What the parts of one list share: the time it is decided at, and where each id stands. */
type Batch = Readonly<{ now: number; decided: Map<string, Decided> }>;

/** What deciding part of a list came to, before anything is recorded or armed. */
type Decisions = Readonly<{
  results: ScheduleResult[];
  events: NewEvent[];
  /** What each decided item does to timers, in list order: arm an occurrence, or disarm an id. */
  timerSteps: (Occurrence | string)[];
  /** The last item decided, when it is armed but late beyond grace: its claim records a miss. */
  late: Occurrence | undefined;
  /** Where the next part starts. */
  next: number;
}>;

/**
 * The decisions of {@link planAll}, in list order from `from`, up to and including the first
 * item that is armed late beyond grace (its miss and recovery must be recorded before the
 * items after it are decided). Updates the live occupancy as it decides, so the caller must
 * reset it if it throws or nothing gets recorded.
 */
function decideAll(
  ctx: SchedulerContext,
  occurrences: readonly Occurrence[],
  from: number,
  batch: Batch,
): Decisions {
  const model = ctx.model();
  const occupancy = ctx.occupancy!;
  const planning = ctx.planning();
  const { now, decided } = batch;
  const results: ScheduleResult[] = [];
  const events: NewEvent[] = [];
  const timerSteps: (Occurrence | string)[] = [];
  for (let i = from; i < occurrences.length; i++) {
    const occurrence = occurrences[i]!;
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
      if (execution !== undefined && !isWaiting(execution)) {
        results.push('not-pending');
        continue;
      }
    }
    if (!fitsCalendar(ctx, occurrence, planning)) {
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
    results.push('armed');
    decided.set(id, 'done');
    const dueMs = Date.parse(occurrence.scheduledFor);
    if (ctx.arming.isTriggering(id)) {
      timerSteps.push(occurrence);
    } else if (now - dueMs > ctx.options.graceMs) {
      // Not armed: its claim would only record the miss, which the caller does at once.
      return { results, events, timerSteps, late: occurrence, next: i + 1 };
    } else {
      // Due now: it triggers once armed, so a repeat of it is not pending any more, as it
      // would not be after a one-by-one call awaited its claim.
      if (dueMs > now) decided.set(id, 'pending');
      timerSteps.push(occurrence);
    }
  }
  return { results, events, timerSteps, late: undefined, next: occurrences.length };
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
