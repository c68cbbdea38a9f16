import type { Occurrence } from './types.js';

/**
 * True for a run of a past slot made on purpose: a catch-up run (the task's `catchUp`
 * policy) or a backfill run. Such runs stand for a slot of the recurrence (`slot`) but run
 * now, outside the calendar; they do not carry the series (its next recurrence is planned
 * apart from them), are never recorded missed (they run whenever the scheduler next runs)
 * and are not retried (the batch goes on with its next slot).
 */
export function isCatchUpRun(occurrence: Pick<Occurrence, 'cause'>): boolean {
  return occurrence.cause === 'catch-up' || occurrence.cause === 'backfill';
}
