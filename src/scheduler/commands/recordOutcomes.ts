import type { MissedState, RecordedOutcome } from '../../../machines/occurrence.js';
import type { Occurrence, RunOutcome } from '../../domain/types.js';
import type { NewEvent } from '../../log/events.js';
import { interruptedError, occurrenceFinished } from '../../log/facts.js';
import { isWaiting } from '../../log/ReadModel.js';
import type { Pending } from '../commandBatcher.js';
import type { SchedulerTx } from '../SchedulerParts.js';
import { decideFollowUp, type FollowUp, linkEvents, seriesContinues } from './followUp.js';
import { planningOf } from './lookups.js';
import { plan } from './plan.js';
import { missedStateOf, recoverMissed } from './recoverMissed.js';

/** A run's outcome and its follow-up, as the one batch that records both. */
export type OutcomeBatch = Readonly<{ followUp: FollowUp; events: NewEvent[] }>;

/**
 * Decides the follow-up of an occurrence that ran (per the task's policy, the calendar and
 * whether its series already continues) and builds the events that record the outcome with
 * it. One batch, so a crash never leaves an outcome without its follow-up. `interrupted`
 * marks a failure a crash caused rather than the handler.
 */
export function outcomeBatch(
  tx: SchedulerTx,
  occurrence: Occurrence,
  outcome: RunOutcome,
  interrupted = false,
): OutcomeBatch {
  const parts = tx.parts;
  const model = parts.log.model;
  const followUp = decideFollowUp(
    occurrence,
    model.getTask(occurrence.taskId),
    outcome,
    new Date(parts.timers.now()),
    planningOf(parts),
    parts.options.taskScheduler,
    () => seriesContinues(model, occurrence),
  );
  const events = [occurrenceFinished(occurrence.id, outcome, interrupted)];
  if (followUp.kind !== 'none') {
    const known = (id: string) => model.getOccurrence(id) !== undefined;
    events.push(...linkEvents(occurrence, followUp.kind, followUp.occurrence, known));
  }
  return { followUp, events };
}

/** The outcome recorded for a run a crash interrupted: a failure, retried per policy. */
export function interruptedOutcome(): RunOutcome {
  return { ok: false, durationMs: 0, error: interruptedError() };
}

/** One actor's request to record its run's outcome, answered with its final state. */
export type RecordRequest = Pending<
  Readonly<{ occurrence: Occurrence; outcome: RunOutcome }>,
  RecordedOutcome
>;

/**
 * Records each run's outcome with its follow-up (one atomic batch per run) and arms the
 * follow-up if running. Outcomes that plan nothing further are held and appended together;
 * one that plans a follow-up first flushes them, then appends and plans on its own, so
 * every plan sees the calendar as recorded so far.
 */
export async function recordOutcomes(
  tx: SchedulerTx,
  batch: readonly RecordRequest[],
): Promise<void> {
  const parts = tx.parts;
  const held: { events: NewEvent[]; answers: (() => void)[] } = { events: [], answers: [] };
  const flush = async () => {
    if (held.events.length === 0) return;
    const events = held.events.splice(0);
    const answers = held.answers.splice(0);
    await parts.log.append(events);
    for (const answer of answers) answer();
  };
  for (const request of batch) {
    const { occurrence, outcome } = request.input;
    const { followUp, events } = outcomeBatch(tx, occurrence, outcome);
    if (followUp.kind === 'none') {
      held.events.push(...events);
      held.answers.push(() => request.resolve(outcome.ok ? 'done' : 'failed'));
      continue;
    }
    await flush();
    await parts.log.append(events);
    if (parts.supervisor.status === 'running') await plan(tx, followUp.occurrence);
    request.resolve(followUp.kind === 'retry' ? 'retrying' : 'recurred');
  }
  await flush();
}

/**
 * An actor found its occurrence late beyond grace (or was told it was recorded missed):
 * records the miss and its recovery unless already recorded, and answers with the state.
 */
export async function recordMiss(tx: SchedulerTx, occurrence: Occurrence): Promise<MissedState> {
  const parts = tx.parts;
  const execution = parts.log.model.getExecution(occurrence.id);
  if (execution !== undefined && isWaiting(execution)) {
    await recoverMissed(tx, [occurrence], parts.timers.now());
  }
  return missedStateOf(parts.log.model.getExecution(occurrence.id));
}

/**
 * Occurrences recorded as triggered whose handler is not running in this process were
 * interrupted (the process died mid-run): each is recorded as failed and retried per its
 * task's policy. The retry presents the same idempotency key, so the handler can tell a
 * re-run of work that may already have happened.
 */
export async function recoverInterrupted(tx: SchedulerTx): Promise<void> {
  const parts = tx.parts;
  const model = parts.log.model;
  for (const execution of model.listExecutions({ state: 'triggered' })) {
    if (parts.actors.hasActor(execution.occurrenceId)) continue;
    const occurrence = model.getOccurrence(execution.occurrenceId)!;
    await parts.log.append(outcomeBatch(tx, occurrence, interruptedOutcome(), true).events);
  }
}
