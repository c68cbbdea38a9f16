import type { ExecutionOutcome, ExecutionState } from './types.js';

/**
 * The state that by itself means an outcome: an occurrence in `done` always `completed`, one
 * in `failed` failed, one in `missed` was missed.
 */
export const OUTCOME_STATE: Readonly<Record<ExecutionOutcome, ExecutionState>> = Object.freeze({
  completed: 'done',
  failed: 'failed',
  missed: 'missed',
});

/**
 * The states a follow-up moves an occurrence on to, keeping its outcome in the record only
 * (`recurred` after a success or a failure, `retrying` after a failure or a miss, `recovered`
 * after a miss). A store answers an outcome query from the state alone except for these, so
 * only their rows need the recorded outcome read.
 */
export const FOLLOWED_UP_STATES: readonly ExecutionState[] = Object.freeze([
  'retrying',
  'recurred',
  'recovered',
]);
