import { isCatchUpRun } from '../../domain/isCatchUpRun.js';
import { makeOccurrence } from '../../domain/makeOccurrence.js';
import type { Occurrence, SlotSkipReason, Task } from '../../domain/types.js';
import { DEFAULT_CATCH_UP_MAX_RUNS } from '../../domain/validateCatchUp.js';
import type { NewEvent } from '../../log/events.js';
import { slotsSkipped } from '../../log/facts.js';
import { nextDueAfter } from '../../planning/dueTimes.js';

// The slots of a task's recurrence that came due with nothing to run them, and what the
// task's catch-up policy makes of them. Shared by the missed check (downtime, pause, sleep)
// and the recording of a run a crash interrupted.

/** Why a batch of slots went unrun before anything looked at them. */
export type MissReason = Extract<SlotSkipReason, 'downtime' | 'paused' | 'sleep' | 'degraded'>;

/**
 * The due times of the task's recurrence strictly after `afterMs` and at or before `untilMs`,
 * oldest first, as epoch ms. Every one is listed, however many: a slot is never dropped.
 */
export function slotsBetween(
  task: Task,
  afterMs: number,
  untilMs: number,
  calendarZone: string,
): number[] {
  const slots: number[] = [];
  let due = nextDueAfter(task, afterMs, calendarZone);
  while (due !== undefined && due <= untilMs) {
    slots.push(due);
    due = nextDueAfter(task, due, calendarZone);
  }
  return slots;
}

/**
 * The slot an occurrence stands for, epoch ms: its `slot` when it runs for one at another
 * time, else the time its schedule asked for (before the calendar moved it), else its time.
 */
export function nominalSlotMs(occurrence: Occurrence): number {
  return Date.parse(occurrence.slot ?? occurrence.moved?.from ?? occurrence.scheduledFor);
}

/** What a catch-up decided: the facts recording the slots, and the catch-up runs to plan. */
export type CatchUpPlan = Readonly<{ events: NewEvent[]; runs: Occurrence[] }>;

/**
 * What the task's catch-up policy makes of slots that passed unrun. `missedMs` are slots
 * whose occurrence is recorded missed already (their own fact); `unrecordedMs` came due with
 * no occurrence at all, so each needs its `task.slotsSkipped` fact unless a catch-up run
 * takes it.
 * - `skip` (the default): every unrecorded slot is recorded skipped, with `reason`.
 * - `latest`: one catch-up run, now, for the latest slot inside the window; the other
 *   unrecorded slots are recorded `caught-up` by it.
 * - `all`: the slots inside the window, oldest first, up to `maxRuns`, run one after another
 *   (one catch-up run now, for the first, `through` the last); the rest `over-cap`.
 * Under every policy, unrecorded slots older than the window are recorded `outside-window`.
 * Catch-up runs are extra (`isCatchUpRun`): the series goes on as recovery planned it.
 */
export function catchUp(
  task: Task,
  missedMs: readonly number[],
  unrecordedMs: readonly number[],
  nowMs: number,
  reason: MissReason,
  parentId: string,
): CatchUpPlan {
  const policy = task.catchUp?.policy ?? 'skip';
  const windowMs = task.catchUp?.windowMs;
  const iso = (ms: number) => new Date(ms).toISOString();
  const skipped = (slots: readonly number[], why: SlotSkipReason, caughtUpBy?: string) =>
    slotsSkipped({ taskId: task.id, slots: slots.map(iso), reason: why, policy, caughtUpBy });
  const oldest = windowMs === undefined ? Number.NEGATIVE_INFINITY : nowMs - windowMs;
  const unrecorded = new Set(unrecordedMs);
  const outside = unrecordedMs.filter((ms) => ms < oldest);
  const events: NewEvent[] = [];
  if (policy === 'skip') {
    events.push(...skipped(outside, 'outside-window'));
    events.push(
      ...skipped(
        unrecordedMs.filter((ms) => ms >= oldest),
        reason,
      ),
    );
    return { events, runs: [] };
  }
  events.push(...skipped(outside, 'outside-window'));
  const inside = [...new Set([...missedMs, ...unrecordedMs])]
    .filter((ms) => ms >= oldest)
    .sort((a, b) => a - b);
  if (inside.length === 0) return { events, runs: [] };
  const run = (slots: readonly number[]) =>
    makeOccurrence({
      taskId: task.id,
      cause: 'catch-up',
      scheduledFor: new Date(nowMs),
      slot: iso(slots[0]!),
      through: slots.length > 1 ? iso(slots.at(-1)!) : undefined,
      parentId,
    });
  if (policy === 'latest') {
    const latest = inside.at(-1)!;
    const standIn = run([latest]);
    const rest = inside.filter((ms) => ms !== latest && unrecorded.has(ms));
    events.push(...skipped(rest, 'caught-up', standIn.id));
    return { events, runs: [standIn] };
  }
  const cap = task.catchUp?.maxRuns ?? DEFAULT_CATCH_UP_MAX_RUNS;
  const first = run(inside.slice(0, cap));
  events.push(
    ...skipped(
      inside.slice(cap).filter((ms) => unrecorded.has(ms)),
      'over-cap',
    ),
  );
  return { events, runs: [first] };
}

/**
 * The next run of a catch-up or backfill batch after `run` ends: the batch's next slot up to
 * its `through`, run now. `slotAfter` gives the slot after one (the recurrence's due times
 * for a catch-up, the calendar's placements for a backfill).
 */
export function nextOfBatch(
  run: Occurrence,
  nowMs: number,
  slotAfter: (afterMs: number) => number | undefined,
): Occurrence | undefined {
  if (!isCatchUpRun(run) || run.slot === undefined || run.through === undefined) return;
  const throughMs = Date.parse(run.through);
  const next = slotAfter(Date.parse(run.slot));
  if (next === undefined || next > throughMs) return;
  return makeOccurrence({
    taskId: run.taskId,
    cause: run.cause,
    scheduledFor: new Date(nowMs),
    slot: new Date(next).toISOString(),
    through: next < throughMs ? run.through : undefined,
    parentId: run.id,
  });
}
