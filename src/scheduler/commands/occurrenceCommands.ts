import { NotFoundError, StateError, ValidationError } from '../../domain/errors.js';
import { makeOccurrence } from '../../domain/makeOccurrence.js';
import type { Occurrence, TriggerTarget } from '../../domain/types.js';
import { checkSameOccurrence, parseOccurrence } from '../../domain/validateOccurrence.js';
import { describeValue } from '../../domain/validationFailure.js';
import { occurrenceCancelled, occurrenceScheduled } from '../../log/facts.js';
import { degradedError } from '../degradedError.js';
import type { SchedulerTx } from '../SchedulerParts.js';
import type { WriteRetry } from '../schedulerOptions.js';
import { isScheduling, requirePending, requireTask, stoppedError } from './lookups.js';
import { type Claim, type PlanResult, plan } from './plan.js';
import { type PlanResults, planAll } from './planList.js';

// The facade's occurrence commands. A claim they return is awaited by the caller outside
// the queue.

/** Plans one occurrence of a known task; refused (`'paused'`) unless the scheduler runs. */
export async function scheduleOccurrence(
  tx: SchedulerTx,
  occurrence: Occurrence,
): Promise<PlanResult> {
  const parts = tx.parts;
  checkSameOccurrence(
    (await parts.log.record(occurrence.id))?.occurrence,
    occurrence,
    'scheduleOccurrence',
  );
  if (!isScheduling(parts.supervisor.status)) return { result: 'paused' as const };
  if (parts.log.model.getTask(occurrence.taskId) === undefined) {
    throw new NotFoundError(
      `SmartScheduler.scheduleOccurrence: task "${occurrence.taskId}" does not exist; define it first with defineTask()`,
    );
  }
  return plan(tx, occurrence);
}

/**
 * Validates a list of occurrences in one pass, before anything is decided.
 * @throws ValidationError whose field starts with the failing item's index (`[3].scheduledFor`).
 */
export function parseOccurrenceList(input: unknown): Occurrence[] {
  const method = 'SmartScheduler.scheduleOccurrences';
  if (!Array.isArray(input)) {
    throw new ValidationError(
      'planflow:invalid-input',
      'occurrences',
      `${method}: occurrences must be an array of occurrences, got ${describeValue(input)}`,
    );
  }
  const valid: Occurrence[] = new Array(input.length);
  for (let i = 0; i < input.length; i++) {
    try {
      valid[i] = parseOccurrence(input[i]);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const field = error.field === '' ? `[${i}]` : `[${i}].${error.field}`;
      throw new ValidationError(
        'planflow:invalid-occurrence',
        field,
        `${method}: item ${field} is invalid, nothing was scheduled: ${error.message}`,
      );
    }
  }
  return valid;
}

/**
 * Plans a list of occurrences as one command: every item is decided as
 * {@link scheduleOccurrence} would decide it after the items before it, and everything is
 * recorded in one append. All or nothing: refused (`'paused'` for every item) unless the
 * scheduler runs, and nothing is recorded when an item names an unknown task.
 */
export async function scheduleOccurrences(
  tx: SchedulerTx,
  occurrences: readonly Occurrence[],
): Promise<PlanResults> {
  const parts = tx.parts;
  await refuseChangedIds(tx, occurrences);
  if (!isScheduling(parts.supervisor.status)) {
    return { results: occurrences.map(() => 'paused' as const), claims: [] };
  }
  const model = parts.log.model;
  for (let i = 0; i < occurrences.length; i++) {
    const taskId = occurrences[i]!.taskId;
    if (model.getTask(taskId) === undefined) {
      throw new NotFoundError(
        `SmartScheduler.scheduleOccurrences: item [${i}] names task "${taskId}", which does not exist; define it first with defineTask(). Nothing was scheduled`,
      );
    }
  }
  return planAll(tx, occurrences);
}

/**
 * Refuses, before anything is decided, an item whose id is recorded (or appears earlier in
 * the list) with other content: the whole list is then refused, as for any bad item.
 */
async function refuseChangedIds(
  tx: SchedulerTx,
  occurrences: readonly Occurrence[],
): Promise<void> {
  const recorded = await tx.parts.log.records(occurrences.map((occurrence) => occurrence.id));
  const seen = new Map<string, Occurrence>();
  for (let i = 0; i < occurrences.length; i++) {
    const occurrence = occurrences[i]!;
    const earlier = seen.get(occurrence.id) ?? recorded.get(occurrence.id)?.occurrence;
    checkSameOccurrence(earlier, occurrence, 'scheduleOccurrences', `[${i}].id`);
    if (earlier === undefined) seen.set(occurrence.id, occurrence);
  }
}

/** Cancels a pending occurrence: its timer and actor go first, then the fact is recorded. */
export async function cancelOccurrence(tx: SchedulerTx, occurrenceId: string): Promise<void> {
  const parts = tx.parts;
  const execution = await requirePending(parts, occurrenceId, 'cancelOccurrence');
  parts.actors.cancel(execution.occurrenceId);
  await parts.log.append([occurrenceCancelled(occurrenceId, 'user')]);
}

/** What `triggerNow` started: the occurrence and its actor's claim. */
export type ManualTrigger = Readonly<{ occurrence: Occurrence; claim: Claim }>;

/**
 * Gives the target occurrence (a pending one, or a new manual occurrence of a task, recorded
 * first) an actor that triggers at once, whatever its time and even while paused.
 */
export async function triggerNow(tx: SchedulerTx, target: TriggerTarget): Promise<ManualTrigger> {
  const parts = tx.parts;
  if (parts.supervisor.status === 'stopped') throw stoppedError('triggerNow');
  let occ: Occurrence;
  if ('occurrenceId' in target) {
    await requirePending(parts, target.occurrenceId, 'triggerNow');
    occ = parts.log.model.getOccurrence(target.occurrenceId)!;
  } else {
    requireTask(parts, target.taskId, 'triggerNow');
    occ = makeOccurrence({
      taskId: target.taskId,
      cause: 'manual',
      scheduledFor: new Date(parts.options.clock.now()),
    });
    if ((await parts.log.record(occ.id)) === undefined) {
      await parts.log.append([occurrenceScheduled(occ)]);
    }
  }
  return { occurrence: occ, claim: parts.actors.trigger(occ, true) };
}

/** The error of an open degraded period, and how the store is being retried. */
export type StoreFault = Readonly<{ error: unknown; retry: WriteRetry }>;

/**
 * Outside the queue: the id of a manually triggered occurrence once its claim was granted.
 * `storeFault` gives the error of the open degraded period, if any.
 * @throws DegradedError when the store refused the trigger; StateError when the occurrence
 * did not trigger for another reason, naming why and what to check.
 */
export async function triggeredId(
  { occurrence, claim }: ManualTrigger,
  storeFault: () => StoreFault | undefined = () => undefined,
): Promise<string> {
  const granted = await claim;
  const fault = granted === undefined ? storeFault() : undefined;
  if (fault !== undefined) throw degradedError(fault.error, fault.retry);
  if (granted === undefined) {
    throw new StateError(
      'planflow:invalid-state',
      `SmartScheduler.triggerNow: occurrence "${occurrence.id}" did not trigger (its actor found it missed, the scheduler stopped, or the store failed: see scheduler.errors); check getExecution() before trying again`,
    );
  }
  if (granted.kind !== 'granted') {
    throw new StateError(
      'planflow:invalid-state',
      `SmartScheduler.triggerNow: occurrence "${occurrence.id}" could not be triggered (${granted.kind}); it already ran or was cancelled`,
    );
  }
  return occurrence.id;
}
