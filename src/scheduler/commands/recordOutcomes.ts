import type { MissedState, RecordedOutcome } from '../../../machines/occurrence.js';
import { isPlanflowError } from '../../domain/errors.js';
import type { Occurrence, RunOutcome } from '../../domain/types.js';
import type { NewEvent } from '../../log/events.js';
import { interruptedError, occurrenceFinished, occurrenceScheduled } from '../../log/facts.js';
import { isWaiting } from '../../log/LiveModel.js';
import type { Pending } from '../commandBatcher.js';
import type { SchedulerTx } from '../SchedulerParts.js';
import { isWriteFault } from '../WriteFaults.js';
import { adoptTask } from './adoptTask.js';
import { decideFollowUp, type FollowUp, linkEvents, seriesContinues } from './followUp.js';
import { isScheduling, planningOf } from './lookups.js';
import { plan } from './plan.js';
import { missedStateOf, recoverMissed } from './recoverMissed.js';

/**
 * A run's outcome and its follow-up, as the one batch that records both, with the slots its
 * end decided about and the catch-up runs to plan beside the follow-up (`extras`).
 */
export type OutcomeBatch = Readonly<{
  followUp: FollowUp;
  extras: readonly Occurrence[];
  events: NewEvent[];
}>;

/**
 * Decides the follow-up of an occurrence that ran (per the task's policy, the calendar and
 * whether its series already continues) and builds the events that record the outcome with
 * it. One batch, so a crash never leaves an outcome without its follow-up. `interrupted`
 * marks a failure a crash caused rather than the handler.
 */
export async function outcomeBatch(
  tx: SchedulerTx,
  occurrence: Occurrence,
  outcome: RunOutcome,
  interrupted = false,
): Promise<OutcomeBatch> {
  const parts = tx.parts;
  const model = parts.log.model;
  const first = await firstAttemptOf(tx, occurrence);
  // Whether the series continues is asked of recurring tasks: all their waiting ones count.
  if (model.getTask(occurrence.taskId)?.recurrence !== undefined) {
    await adoptTask(tx, occurrence.taskId);
  }
  const {
    followUp,
    events: slotFacts,
    extras,
  } = decideFollowUp(
    occurrence,
    model.getTask(occurrence.taskId),
    outcome,
    new Date(parts.timers.now()),
    planningOf(parts),
    parts.options.taskScheduler,
    () => seriesContinues(model, occurrence),
    interrupted,
    first,
  );
  const events = [occurrenceFinished(occurrence.id, outcome, interrupted), ...slotFacts];
  if (followUp.kind !== 'none') {
    const known = (await parts.log.record(followUp.occurrence.id)) !== undefined;
    events.push(...linkEvents(occurrence, followUp.kind, followUp.occurrence, () => known));
  }
  const unknown: Occurrence[] = [];
  for (const extra of extras) {
    if ((await parts.log.record(extra.id)) !== undefined) continue;
    events.push(occurrenceScheduled(extra));
    unknown.push(extra);
  }
  return { followUp, extras: unknown, events };
}

/** The first attempt a retry retries (walking its parents), or the occurrence itself. */
async function firstAttemptOf(tx: SchedulerTx, occurrence: Occurrence): Promise<Occurrence> {
  let first = occurrence;
  // Bounded by the retry policy (at most 1000 retries); each step one record lookup.
  while (first.cause === 'retry' && first.parentId !== undefined) {
    const parent = (await tx.parts.log.record(first.parentId))?.occurrence;
    if (parent === undefined) break;
    first = parent;
  }
  return first;
}

/** The outcome recorded for a run a crash interrupted: a failure, retried per policy. */
export function interruptedOutcome(fleet?: Parameters<typeof interruptedError>[0]): RunOutcome {
  return { ok: false, durationMs: 0, error: interruptedError(fleet) };
}

/** One actor's request to record its run's outcome, answered with its final state. */
export type RecordRequest = Pending<
  Readonly<{ occurrence: Occurrence; outcome: RunOutcome }>,
  RecordedOutcome
>;

/**
 * Records each run's outcome with its follow-up (one atomic batch per run) and arms the
 * follow-up if scheduling. Outcomes that plan nothing further are held and appended
 * together; one that plans a follow-up first flushes them, then appends and plans on its
 * own, so every plan sees the calendar as recorded so far.
 *
 * When the store refuses an append for a reason of its own (a write fault), the runs it
 * carried — and the rest of the batch, without trying — are kept in `unrecorded` and their
 * requests rejected: the run happened, so once the store recovers it is recorded as what it
 * was (`recordUnrecorded`), not as interrupted. So are they while the lease is lost: the
 * scheduler that took over may have recorded these runs as interrupted already, and this
 * one's model does not know yet; once it holds the lease again, its first append reads the
 * other's entries in and `recordUnrecorded` drops what is no longer triggered.
 */
export async function recordOutcomes(
  tx: SchedulerTx,
  batch: readonly RecordRequest[],
): Promise<void> {
  const parts = tx.parts;
  let fault: { error: unknown } | undefined =
    parts.lease.lost === undefined ? undefined : { error: parts.lease.lost };
  const keep = (requests: readonly RecordRequest[], error: unknown) => {
    for (const request of requests) {
      parts.unrecorded.set(request.input.occurrence.id, request.input);
      request.reject(error);
    }
  };
  /**
   * Appends the runs' events (one list per request); answers which were recorded. A write
   * fault keeps them all (held, none recorded). A run whose ending another instance recorded
   * first (`planflow:already-settled`: a survivor took it for interrupted) is refused alone:
   * the others are appended one by one and its request rejected with that error.
   */
  const append = async (
    events: readonly (readonly NewEvent[])[],
    requests: readonly RecordRequest[],
  ): Promise<boolean[]> => {
    if (fault !== undefined) {
      keep(requests, fault.error);
      return requests.map(() => false);
    }
    try {
      await parts.log.append(events.flat());
      return requests.map(() => true);
    } catch (error) {
      if (isWriteFault(error)) {
        fault = { error };
        keep(requests, error);
        return requests.map(() => false);
      }
      if (!isPlanflowError(error, 'planflow:already-settled')) throw error;
      if (requests.length === 1) {
        requests[0]!.reject(error);
        return [false];
      }
    }
    const recorded: boolean[] = [];
    for (let i = 0; i < requests.length; i++) {
      recorded.push((await append([events[i]!], [requests[i]!]))[0]!);
    }
    return recorded;
  };
  const held: { events: NewEvent[][]; requests: RecordRequest[]; answers: (() => void)[] } = {
    events: [],
    requests: [],
    answers: [],
  };
  const flush = async () => {
    if (held.events.length === 0) return;
    const events = held.events.splice(0);
    const requests = held.requests.splice(0);
    const answers = held.answers.splice(0);
    const recorded = await append(events, requests);
    answers.forEach((answer, i) => {
      if (recorded[i]) answer();
    });
  };
  for (const request of batch) {
    const { occurrence, outcome } = request.input;
    const { followUp, extras, events } = await outcomeBatch(tx, occurrence, outcome);
    if (followUp.kind === 'none' && extras.length === 0) {
      held.events.push(events);
      held.requests.push(request);
      held.answers.push(() => request.resolve(outcome.ok ? 'done' : 'failed'));
      continue;
    }
    await flush();
    if (!(await append([events], [request]))[0]) continue;
    if (isScheduling(parts.supervisor.status)) {
      if (followUp.kind !== 'none') await plan(tx, followUp.occurrence);
      for (const extra of extras) await plan(tx, extra);
    }
    request.resolve(
      followUp.kind === 'none'
        ? outcome.ok
          ? 'done'
          : 'failed'
        : followUp.kind === 'retry'
          ? 'retrying'
          : 'recurred',
    );
  }
  await flush();
}

/** One occurrence's request to record its miss, answered with the state it ends in. */
export type MissRequest = Pending<Readonly<{ occurrence: Occurrence }>, MissedState>;

/**
 * Occurrences found late beyond grace when their timer fired (or told they were recorded
 * missed): records the misses not yet recorded and their recovery, all in one pass, and
 * answers each with its state. One pass per batch matters: the recovery service is shown
 * every live execution, so recording a burst's misses one command each cost time in
 * proportion to the live set per miss (a 30 000-occurrence burst that fell behind recorded
 * about 5 misses a second).
 */
export async function recordMisses(tx: SchedulerTx, batch: readonly MissRequest[]): Promise<void> {
  const parts = tx.parts;
  const model = parts.log.model;
  const waiting = new Map<string, Occurrence>();
  for (const { input } of batch) {
    const execution = model.getExecution(input.occurrence.id);
    if (execution !== undefined && isWaiting(execution)) {
      waiting.set(input.occurrence.id, input.occurrence);
    }
  }
  if (waiting.size > 0) {
    await recoverMissed(tx, [...waiting.values()], parts.timers.now(), 'sleep');
  }
  for (const request of batch) {
    const record = await parts.log.record(request.input.occurrence.id);
    request.resolve(missedStateOf(record?.execution));
  }
}

/**
 * Occurrences recorded as triggered whose handler is not running in this process were
 * interrupted (the process died mid-run): each is recorded as failed and retried per its
 * task's policy. The retry presents the same idempotency key, so the handler can tell a
 * re-run of work that may already have happened.
 *
 * Whose runs count is the lease's rule (`SchedulerLease.mayRecoverRunOf`): on an exclusive
 * store all of them, while no other instance's lease is live; on a shared store (a fleet)
 * this instance's own and those of instances whose lease is gone or lapsed, each by its
 * task's owner, named in the recorded error. The leases are read again after the runs are
 * taken from the model, so an instance whose trigger is in the model is seen live. A run
 * another survivor recorded first is left to it (the store refuses the second ending).
 */
export async function recoverInterrupted(tx: SchedulerTx): Promise<void> {
  const parts = tx.parts;
  const lease = parts.lease;
  if (!lease.held) return;
  const running = [...parts.log.model.liveRecords('triggered')];
  if (running.length === 0) return;
  if (lease.shared) await lease.refresh();
  const self = parts.options.instanceId;
  for (const { occurrence, execution } of running) {
    // A live actor's run is still going; a held outcome is recorded as what it was.
    const id = occurrence.id;
    if (parts.actors.hasActor(id) || parts.unrecorded.has(id)) continue;
    const by = execution.triggeredBy;
    if (!lease.mayRecoverRunOf(by, occurrence.taskId)) continue;
    const fleet =
      lease.shared && by !== undefined && by !== self
        ? { instanceId: by, recordedBy: self }
        : undefined;
    const batch = await outcomeBatch(tx, occurrence, interruptedOutcome(fleet), true);
    try {
      await parts.log.append(batch.events);
    } catch (error) {
      if (!isPlanflowError(error, 'planflow:already-settled')) throw error;
    }
    // Armed by the start's re-arming and missed check that follow (catch-up runs never miss).
  }
}
