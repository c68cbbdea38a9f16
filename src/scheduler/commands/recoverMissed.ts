import type { MissedState } from '../../../machines/occurrence.js';
import { isCatchUpRun } from '../../domain/isCatchUpRun.js';
import type { Execution, Occurrence } from '../../domain/types.js';
import type { NewEvent } from '../../log/events.js';
import { occurrenceMissed, occurrenceScheduled } from '../../log/facts.js';
import type { SchedulerTx } from '../SchedulerParts.js';
import { linkEvents } from './followUp.js';
import { isScheduling, isTaskPaused, planningOf } from './lookups.js';
import { plan } from './plan.js';
import { catchUp, type MissReason, nominalSlotMs, slotsBetween } from './slots.js';

/**
 * Records occurrences as missed together with what the recovery service schedules for them,
 * in one atomic append, then arms the recoveries. A missed occurrence whose actor still waits
 * (its timer never woke: a sleep, a pause) is told `MISSED`, so its actor ends in the state the
 * log gives it.
 *
 * The recovery service sees the live set (every occurrence still waiting, the ones being
 * recorded missed among them, and the ones running); settled occurrences are history and
 * have nothing left to recover. Occurrences of paused tasks are left out (unless recorded
 * missed here): what they missed is decided when their task resumes.
 *
 * The slots of a recurring task's series that came due after a missed occurrence, with no
 * occurrence of their own, are handed to the task's catch-up policy (`catchUp` in slots.ts):
 * recorded skipped (`reason`), or run by catch-up runs planned with the recovery, in the same
 * append.
 */
export async function recoverMissed(
  tx: SchedulerTx,
  missed: readonly Occurrence[],
  nowMs: number,
  reason: MissReason = 'downtime',
): Promise<void> {
  const parts = tx.parts;
  const { actors, log } = parts;
  const model = log.model;
  // Told before the append, so no timer of theirs fires meanwhile; each actor's own record
  // of the miss then queues behind this command and finds it recorded.
  for (const occ of missed) actors.missed(occ.id, nowMs - Date.parse(occ.scheduledFor));
  const events: NewEvent[] = missed.map((occ) => occurrenceMissed(occ, nowMs));
  const recordedMissed = new Set(missed.map((occ) => occ.id));
  const { graceMs, recoveryService } = parts.options;
  const live = [...model.liveRecords()].filter(
    (r) => recordedMissed.has(r.occurrence.id) || !isTaskPaused(parts, r.occurrence.taskId),
  );
  // The service sees the misses this batch records as recorded: `missed`.
  const asRecorded = (execution: Execution): Execution =>
    recordedMissed.has(execution.occurrenceId)
      ? Object.freeze({ ...execution, state: 'missed', outcome: 'missed' })
      : execution;
  const recovered = recoveryService.recoverMissed({
    executions: new Map(live.map((r) => [r.occurrence.id, asRecorded(r.execution)])),
    occurrences: live.map((r) => r.occurrence),
    tasks: new Map(model.listTasks().map((t) => [t.id, t])),
    now: new Date(nowMs),
    ctx: planningOf(parts),
  });
  const stored = await log.records(
    recovered.filter((occ) => model.record(occ.id) === undefined).map((occ) => occ.id),
  );
  const known = new Set<string>(stored.keys());
  const linked = new Set<string>();
  const isKnown = (id: string) => known.has(id) || model.getOccurrence(id) !== undefined;
  const toPlan: Occurrence[] = [];
  const missedNow = [...missed];
  for (const occ of recovered) {
    const parent = occ.parentId === undefined ? undefined : model.getOccurrence(occ.parentId);
    // Recovery sees every live occurrence, so it may replace one this check did not record
    // as missed (its actor is still claiming, or its timer has not woken yet): record that
    // miss first. A link to an occurrence that ran, or was already followed up, is not
    // followed.
    const link =
      parent === undefined || linked.has(parent.id)
        ? undefined
        : recoveryLink(model.getExecution(parent.id), nowMs, graceMs, recordedMissed);
    if (parent === undefined || link === undefined) {
      if (!isKnown(occ.id)) events.push(occurrenceScheduled(occ));
    } else {
      if (link === 'late') {
        actors.missed(parent.id, nowMs - Date.parse(parent.scheduledFor));
        events.push(occurrenceMissed(parent, nowMs));
        missedNow.push(parent);
      }
      linked.add(parent.id);
      events.push(
        ...linkEvents(parent, occ.cause === 'retry' ? 'retry' : 'recovery', occ, isKnown),
      );
    }
    if (!stored.has(occ.id)) toPlan.push(occ);
    known.add(occ.id);
  }
  for (const run of catchUpMissed(tx, missedNow, nowMs, reason, events)) {
    if (isKnown(run.id)) continue;
    events.push(occurrenceScheduled(run));
    toPlan.push(run);
  }
  if (events.length > 0) await log.append(events);
  if (!isScheduling(parts.supervisor.status)) return;
  for (const occ of toPlan) await plan(tx, occ);
}

/**
 * Hands the slots each recurring task missed to its catch-up policy: the slots after the
 * latest of its series occurrences recorded missed now (those have facts of their own), up to
 * now. Pushes the facts onto `events`; returns the catch-up runs to schedule.
 */
function catchUpMissed(
  tx: SchedulerTx,
  missed: readonly Occurrence[],
  nowMs: number,
  reason: MissReason,
  events: NewEvent[],
): Occurrence[] {
  const parts = tx.parts;
  const byTask = new Map<string, Occurrence[]>();
  for (const occ of missed) {
    // Manual, catch-up and backfill runs and pinned times do not carry the series.
    if (occ.cause === 'manual' || isCatchUpRun(occ) || occ.pinnedTime !== undefined) continue;
    byTask.set(occ.taskId, [...(byTask.get(occ.taskId) ?? []), occ]);
  }
  const runs: Occurrence[] = [];
  const zone = parts.occupancy.calendar.timeZone;
  for (const [taskId, occurrences] of byTask) {
    const task = parts.log.model.getTask(taskId);
    if (task?.recurrence === undefined) continue;
    const missedMs = occurrences.map(nominalSlotMs).sort((a, b) => a - b);
    const latest = occurrences.reduce((a, b) => (nominalSlotMs(b) > nominalSlotMs(a) ? b : a));
    const unrecorded = slotsBetween(task, missedMs.at(-1)!, nowMs, zone);
    const plan = catchUp(task, missedMs, unrecorded, nowMs, reason, latest.id);
    events.push(...plan.events);
    runs.push(...plan.runs);
  }
  return runs;
}

/** The final state of an occurrence recorded missed: recovered, retried, or just missed. */
export function missedStateOf(execution: Execution | undefined): MissedState {
  const state = execution?.state;
  return state === 'recovered' || state === 'retrying' ? state : 'missed';
}

/**
 * Whether a recovered occurrence may be recorded as following up `parent`: it was recorded
 * missed, or is being recorded missed in this batch (`'missed'`), or is still waiting and late beyond grace, so its miss is recorded with
 * the link (`'late'`). Anything else (it ran, was cancelled, or already has a follow-up) is
 * not linked, so its record stays true.
 */
function recoveryLink(
  parent: Execution | undefined,
  nowMs: number,
  graceMs: number,
  recordedMissed: ReadonlySet<string>,
): 'missed' | 'late' | undefined {
  if (parent === undefined || parent.triggered || parent.followUpId !== undefined) return;
  if (parent.state === 'missed' || recordedMissed.has(parent.occurrenceId)) return 'missed';
  const lateByMs = nowMs - Date.parse(parent.scheduledFor);
  return parent.state === 'scheduled' && lateByMs > graceMs ? 'late' : undefined;
}
