import { ValidationError } from '../../domain/errors.js';
import { makeOccurrence } from '../../domain/makeOccurrence.js';
import type { IsoInstant, Occurrence } from '../../domain/types.js';
import { type BackfillRequest, MAX_BACKFILL_RUNS } from '../../domain/validateBackfill.js';
import type { SchedulerTx } from '../SchedulerParts.js';
import { placedSlotAfter } from './followUp.js';
import { planningOf, requireTask, stoppedError } from './lookups.js';
import { plan } from './plan.js';

/** What `backfill` planned: the range's slots, and the runs recorded for them now. */
export type BackfillResult = Readonly<{
  /** Every slot of the range, oldest first. */
  slots: readonly IsoInstant[];
  /**
   * The runs recorded now: with `bufferAll` the first of the batch (each next one is recorded
   * as the one before it ends), with `allowAll` one per slot.
   */
  runs: readonly Occurrence[];
}>;

/**
 * Runs the slots the task's recurrence would have had in `[fromMs, toMs)` — placed on the
 * calendar as `nextRuns` places them — as `backfill` runs triggered now: one after another,
 * oldest first (`bufferAll`, a batch whose each run is followed by the next), or all at once
 * (`allowAll`). They stand for their slot (`slot`), take no place on the calendar, are never
 * recorded missed and do not carry the series. Refuses a task without a recurrence and a
 * range of more than {@link MAX_BACKFILL_RUNS} slots, saying how to split it.
 */
export async function backfill(
  tx: SchedulerTx,
  taskId: string,
  request: BackfillRequest,
): Promise<BackfillResult> {
  const parts = tx.parts;
  if (parts.supervisor.status === 'stopped') throw stoppedError('backfill');
  const task = requireTask(parts, taskId, 'backfill');
  if (task.recurrence === undefined) {
    throw new ValidationError(
      'planflow:invalid-input',
      'taskId',
      `SmartScheduler.backfill: task "${taskId}" has no recurrence, so it had no slots to backfill; run it once with triggerNow({ taskId })`,
    );
  }
  const { fromMs, toMs } = request;
  const scheduler = parts.options.taskScheduler;
  const ctx = planningOf(parts);
  const slots: number[] = [];
  let slot = placedSlotAfter(task, fromMs - 1, scheduler, ctx);
  while (slot !== undefined && slot < toMs) {
    if (slots.length === MAX_BACKFILL_RUNS) {
      throw new ValidationError(
        'planflow:invalid-input',
        'options.to',
        `SmartScheduler.backfill: the range ${new Date(fromMs).toISOString()} to ${new Date(toMs).toISOString()} holds more than ${MAX_BACKFILL_RUNS} slots of task "${taskId}"; backfill at most ${MAX_BACKFILL_RUNS} at a time: split it, e.g. first up to ${new Date(slot).toISOString()} (exclusive), then from there. Nothing was recorded`,
      );
    }
    slots.push(slot);
    slot = placedSlotAfter(task, slot, scheduler, ctx);
  }
  const iso = slots.map((ms) => new Date(ms).toISOString());
  if (iso.length === 0) return { slots: [], runs: [] };
  const now = new Date(parts.timers.now());
  const run = (first: IsoInstant, through?: IsoInstant) =>
    makeOccurrence({ taskId, cause: 'backfill', scheduledFor: now, slot: first, through });
  const runs =
    request.overlap === 'allowAll'
      ? iso.map((s) => run(s))
      : [run(iso[0]!, iso.length > 1 ? iso.at(-1) : undefined)];
  for (const occurrence of runs) await plan(tx, occurrence);
  return { slots: Object.freeze(iso), runs: Object.freeze(runs) };
}
