import type { Execution, Occurrence } from '../../domain/types.js';
import type { NewEvent } from '../../log/events.js';
import { occurrenceScheduled, occurrenceSkipped } from '../../log/facts.js';
import { isWaiting } from '../../log/LiveModel.js';
import type { SchedulerTx } from '../SchedulerParts.js';
import { isTaskPaused, planningOf } from './lookups.js';
import { type Claim, fitsCalendar, ignoresCalendar, type ScheduleResult } from './plan.js';
import { recoverMissed } from './recoverMissed.js';

/** What planning a list of occurrences did: a result per item, and the claims of due ones. */
export type PlanResults = Readonly<{ results: ScheduleResult[]; claims: Claim[] }>;

/** Where an id stands after the items of a batch decided so far. */
type Decided = 'pending' | 'done';

/**
 * {@link plan} for every item of a list, in order, as one decision and one append. Each item
 * is decided exactly as `plan` would decide it after the items before it were recorded: an
 * id recorded or skipped earlier in the list counts as known, and the calendar sees the
 * places taken and freed by earlier items (the live occupancy is updated as the batch
 * decides; folding the batch's events then finds it already right). All the
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
  tx: SchedulerTx,
  occurrences: readonly Occurrence[],
): Promise<PlanResults> {
  const parts = tx.parts;
  const { actors, occupancy } = parts;
  const model = parts.log.model;
  // Settled occurrences are not in memory: read the ones the list names once, up front. An
  // id the batch itself records is in `decided` or the live model from then on.
  const settled = await parts.log.records(
    occurrences.filter((o) => model.record(o.id) === undefined).map((o) => o.id),
  );
  // Waiting ones the live window left in the store are taken in: the batch decides about them.
  await parts.log.adoptOccurrences(
    [...settled.values()].filter((r) => isWaiting(r.execution)).map((r) => r.occurrence.id),
  );
  const batch: Batch = {
    now: parts.timers.now(),
    decided: new Map(),
    recorded: (id) => model.getExecution(id) ?? settled.get(id)?.execution,
  };
  const results: ScheduleResult[] = [];
  const claims: Claim[] = [];
  let next = 0;
  do {
    // When nothing of this part gets recorded (a planner threw while deciding, or the append
    // failed), the places it took or freed as it decided are put back.
    const decisions = await occupancy.undoOnFailure(async () => {
      const decided = decideAll(tx, occurrences, next, batch);
      // Skipped occurrences lose their timers before the fact is recorded, as in `plan`.
      for (const step of decided.timerSteps) {
        if (typeof step === 'string') actors.release(step);
      }
      if (decided.events.length > 0) await parts.log.append(decided.events);
      return decided;
    });
    results.push(...decisions.results);
    for (const step of decisions.timerSteps) {
      // Again, in order: an id armed by one item and skipped by a later one ends up released.
      if (typeof step === 'string') {
        actors.release(step);
        continue;
      }
      // In a fleet, the instance that runs the task arms it when it reads the entry.
      if (!parts.lease.owns(step.taskId)) continue;
      const claim = actors.arm(step);
      if (claim !== undefined) claims.push(claim);
    }
    if (decisions.late !== undefined) {
      // What its claim would do one by one, before the next item is decided: record the miss
      // and plan its recovery, which takes a place the items after it must see. A failure is
      // reported, as the claim's would be, and the list goes on.
      await recoverMissed(tx, [decisions.late], batch.now).catch(parts.report);
    }
    next = decisions.next;
  } while (next < occurrences.length);
  return { results, claims };
}

/**
 * What the parts of one list share: the time it is decided at, where each id stands, and the
 * execution record of an id the list has not decided (live, or settled before the list).
 */
type Batch = Readonly<{
  now: number;
  decided: Map<string, Decided>;
  recorded: (occurrenceId: string) => Execution | undefined;
}>;

/** What deciding part of a list came to, before anything is recorded or armed. */
type Decisions = Readonly<{
  results: ScheduleResult[];
  events: NewEvent[];
  /** What each decided item does to timers, in list order: arm an occurrence, or release an id. */
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
  tx: SchedulerTx,
  occurrences: readonly Occurrence[],
  from: number,
  batch: Batch,
): Decisions {
  const parts = tx.parts;
  const { actors, occupancy } = parts;
  const planning = planningOf(parts);
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
      const execution = batch.recorded(id);
      known = execution !== undefined;
      if (execution !== undefined && !isWaiting(execution)) {
        results.push('not-pending');
        continue;
      }
    }
    if (!fitsCalendar(parts, occurrence, planning)) {
      if (!known) events.push(occurrenceScheduled(occurrence));
      events.push(occurrenceSkipped(id));
      occupancy.release(id);
      decided.set(id, 'done');
      timerSteps.push(id);
      results.push('skipped');
      continue;
    }
    if (!known) {
      events.push(occurrenceScheduled(occurrence));
      if (!ignoresCalendar(parts, occurrence)) occupancy.hold(id, occurrence.scheduledFor);
    }
    if (isTaskPaused(parts, occurrence.taskId)) {
      // Recorded, not armed: it waits for the task's resume, as `plan` decides.
      results.push('paused');
      decided.set(id, 'pending');
      continue;
    }
    results.push('armed');
    decided.set(id, 'done');
    const dueMs = Date.parse(occurrence.scheduledFor);
    if (actors.isTriggering(id)) {
      timerSteps.push(occurrence);
    } else if (now - dueMs > parts.options.graceMs) {
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
