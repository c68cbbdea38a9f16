import type { Occurrence } from '../domain/types.js';
import type { OccurrenceRecord } from './projection.js';

/**
 * A waiting occurrence in compact form: everything its execution record holds beyond the
 * occurrence itself is the time and seq of the one entry that recorded it and the retries it
 * has left, so the record can be rebuilt on demand instead of kept. The live model keeps
 * waiting occurrences so (about 200 bytes less each; a scheduler can hold hundreds of
 * thousands) and the SQLite store stores them so (their rows hold no execution JSON).
 */
export type WaitingRecord = Readonly<{
  occurrence: Occurrence;
  firstSeq: number;
  /** Time of the entry that recorded the occurrence. */
  at: string;
  retriesRemaining: number;
}>;

const SCHEDULED = 'occurrence.scheduled';

/** Keys of an execution record that only `occurrence.scheduled` made (see `evolveExecution`). */
const WAITING_KEYS = 9;

/**
 * The compact form of a record that is exactly what one `occurrence.scheduled` made, else
 * undefined.
 */
export function compactWaiting(record: OccurrenceRecord): WaitingRecord | undefined {
  const { execution, occurrence, firstSeq } = record;
  const step = execution.history[0];
  if (
    execution.state !== 'scheduled' ||
    execution.history.length !== 1 ||
    step === undefined ||
    step.seq !== firstSeq ||
    execution.scheduledFor !== occurrence.scheduledFor ||
    execution.attempt !== occurrence.attempt ||
    Object.keys(execution).length !== WAITING_KEYS
  ) {
    return undefined;
  }
  return { occurrence, firstSeq, at: step.at, retriesRemaining: execution.retriesRemaining };
}

/** The full record of a compact one, built exactly as `evolveExecution` builds it. */
export function expandWaiting(waiting: WaitingRecord): OccurrenceRecord {
  const { occurrence, firstSeq, at, retriesRemaining } = waiting;
  return {
    occurrence,
    firstSeq,
    execution: Object.freeze({
      occurrenceId: occurrence.id,
      taskId: occurrence.taskId,
      scheduledFor: occurrence.scheduledFor,
      attempt: occurrence.attempt,
      cause: occurrence.cause,
      state: 'scheduled',
      retriesRemaining,
      triggered: false,
      history: Object.freeze([
        Object.freeze({ seq: firstSeq, type: SCHEDULED, at, state: 'scheduled' as const }),
      ]),
    }),
  };
}
