import { NotFoundError, StateError, ValidationError } from '../domain/errors.js';
import { makeOccurrence } from '../domain/makeOccurrence.js';
import type { Occurrence } from '../domain/types.js';
import { checkSameOccurrence, parseOccurrence } from '../domain/validateOccurrence.js';
import { describeValue } from '../domain/validationFailure.js';
import type { ClaimResult } from './OccurrenceRunner.js';
import { type PlanResult, type PlanResults, plan, planAll } from './planOccurrence.js';
import { cancelledEvent, scheduledEvent } from './runtimeEvents.js';
import { type SchedulerContext, stoppedError } from './SchedulerContext.js';
import type { TriggerTarget } from './SmartScheduler.js';

// The facade's occurrence commands. The functions taking a context run within the command
// queue; a claim they return is awaited by the caller outside it.

/** Plans one occurrence of a known task; refused (`'paused'`) unless the scheduler runs. */
export async function scheduleOccurrence(
  ctx: SchedulerContext,
  occurrence: Occurrence,
): Promise<PlanResult> {
  checkSameOccurrence(ctx.model().getOccurrence(occurrence.id), occurrence, 'scheduleOccurrence');
  if (ctx.supervisor.status !== 'running') return { result: 'paused' as const };
  if (ctx.model().getTask(occurrence.taskId) === undefined) {
    throw new NotFoundError(
      `SmartScheduler.scheduleOccurrence: task "${occurrence.taskId}" does not exist; define it first with defineTask()`,
    );
  }
  return plan(ctx, occurrence);
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
  ctx: SchedulerContext,
  occurrences: readonly Occurrence[],
): Promise<PlanResults> {
  refuseChangedIds(ctx, occurrences);
  if (ctx.supervisor.status !== 'running') {
    return { results: occurrences.map(() => 'paused' as const), claims: [] };
  }
  const model = ctx.model();
  for (let i = 0; i < occurrences.length; i++) {
    const taskId = occurrences[i]!.taskId;
    if (model.getTask(taskId) === undefined) {
      throw new NotFoundError(
        `SmartScheduler.scheduleOccurrences: item [${i}] names task "${taskId}", which does not exist; define it first with defineTask(). Nothing was scheduled`,
      );
    }
  }
  return planAll(ctx, occurrences);
}

/**
 * Refuses, before anything is decided, an item whose id is recorded (or appears earlier in
 * the list) with other content: the whole list is then refused, as for any bad item.
 */
function refuseChangedIds(ctx: SchedulerContext, occurrences: readonly Occurrence[]): void {
  const model = ctx.model();
  const seen = new Map<string, Occurrence>();
  for (let i = 0; i < occurrences.length; i++) {
    const occurrence = occurrences[i]!;
    const earlier = seen.get(occurrence.id) ?? model.getOccurrence(occurrence.id);
    checkSameOccurrence(earlier, occurrence, 'scheduleOccurrences', `[${i}].id`);
    if (earlier === undefined) seen.set(occurrence.id, occurrence);
  }
}

/** Cancels a pending occurrence: its timer goes first, then the fact is recorded. */
export async function cancelOccurrence(ctx: SchedulerContext, occurrenceId: string): Promise<void> {
  const execution = ctx.requirePending(occurrenceId, 'cancelOccurrence');
  ctx.arming.disarm(execution.occurrenceId);
  await ctx.append([cancelledEvent(occurrenceId, 'user')]);
}

/** What `triggerNow` started within the queue: the occurrence and its actor's claim. */
export type ManualTrigger = Readonly<{
  occurrence: Occurrence;
  claim: Promise<ClaimResult | undefined>;
}>;

/**
 * Gives the target occurrence (a pending one, or a new manual occurrence of a task, recorded
 * first) an actor that triggers at once, whatever its time and even while paused.
 */
export async function triggerNow(
  ctx: SchedulerContext,
  target: TriggerTarget,
): Promise<ManualTrigger> {
  if (ctx.supervisor.status === 'stopped') throw stoppedError('triggerNow');
  let occ: Occurrence;
  if ('occurrenceId' in target) {
    ctx.requirePending(target.occurrenceId, 'triggerNow');
    occ = ctx.model().getOccurrence(target.occurrenceId)!;
  } else {
    ctx.requireTask(target.taskId, 'triggerNow');
    occ = makeOccurrence({
      taskId: target.taskId,
      cause: 'manual',
      scheduledFor: new Date(ctx.options.clock.now()),
    });
    if (ctx.model().getOccurrence(occ.id) === undefined) {
      await ctx.append([scheduledEvent(occ)]);
    }
  }
  return { occurrence: occ, claim: ctx.arming.spawn(occ, { manual: true }) };
}

/**
 * Outside the queue: the id of a manually triggered occurrence once its claim was granted.
 * @throws StateError when the occurrence did not trigger, naming why and what to check.
 */
export async function triggeredId({ occurrence, claim }: ManualTrigger): Promise<string> {
  const granted = await claim;
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
