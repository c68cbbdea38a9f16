import type { RunOutcome } from './types.js';

/** The error name a run aborted by its task's `overlap: 'cancelOther'` policy fails with. */
export const OVERLAP_CANCELLED = 'OverlapCancelledError';

/**
 * The reason a run's signal is aborted with when a newer run of its task starts under
 * `overlap: 'cancelOther'`: recorded as the run's error, so the log says why it failed.
 */
export function overlapCancelledError(byOccurrenceId: string, slot: string): Error {
  const error = new Error(
    `cancelled by the task's overlap policy "cancelOther": the run ${byOccurrenceId} for ${slot} started; the handler's signal was aborted`,
  );
  error.name = OVERLAP_CANCELLED;
  return error;
}

/** True for the outcome of a run its task's `cancelOther` policy cancelled (never retried). */
export function isOverlapCancelled(outcome: RunOutcome): boolean {
  return !outcome.ok && outcome.error.name === OVERLAP_CANCELLED;
}
