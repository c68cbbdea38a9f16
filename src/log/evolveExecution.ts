import { type Draft, produce } from 'immer';
import type { Execution, ExecutionState, Task } from '../domain/types.js';
import type { StoredEvent } from './events.js';

/**
 * How one occurrence event moves an occurrence's execution record. A pure function over
 * immutable values (immer builds the next frozen record), so folding the log from scratch
 * and applying events live produce identical read models.
 *
 * Returns `prev` unchanged for events that do not concern executions.
 */
export function evolveExecution(
  prev: Execution | undefined,
  event: StoredEvent,
  taskOf: (taskId: string) => Task | undefined,
): Execution | undefined {
  if (event.type === 'occurrence.scheduled') {
    const occ = event.data.occurrence;
    if (prev !== undefined) return withStep(prev, event, prev.state);
    const maxRetries = taskOf(occ.taskId)?.retry.maxRetries ?? 0;
    return Object.freeze({
      occurrenceId: occ.id,
      taskId: occ.taskId,
      scheduledFor: occ.scheduledFor,
      attempt: occ.attempt,
      cause: occ.cause,
      state: 'scheduled',
      retriesRemaining: Math.max(0, maxRetries - occ.attempt),
      triggered: false,
      history: Object.freeze([
        Object.freeze({ seq: event.seq, type: event.type, at: event.time, state: 'scheduled' }),
      ]),
    } satisfies Execution);
  }
  if (prev === undefined) return prev;
  switch (event.type) {
    case 'occurrence.skipped':
      return withStep(prev, event, 'skipped');
    case 'occurrence.triggered':
      return withStep(prev, event, 'triggered', (d) => {
        d.triggered = true;
        d.triggeredAt = event.time;
      });
    case 'occurrence.completed':
      return withStep(prev, event, 'done', (d) => {
        d.outcome = 'completed';
        d.finishedAt = event.time;
      });
    case 'occurrence.failed':
      return withStep(prev, event, 'failed', (d) => {
        d.outcome = 'failed';
        d.finishedAt = event.time;
        d.error = { ...event.data.error };
      });
    case 'occurrence.missed':
      return withStep(prev, event, 'missed', (d) => {
        d.outcome = 'missed';
      });
    case 'occurrence.retried':
      return withStep(prev, event, 'retrying', (d) => {
        d.followUpId = event.data.retryId;
      });
    case 'occurrence.recurred':
      return withStep(prev, event, 'recurred', (d) => {
        d.followUpId = event.data.nextId;
      });
    case 'occurrence.recovered':
      return withStep(prev, event, 'recovered', (d) => {
        d.followUpId = event.data.replacementId;
      });
    case 'occurrence.cancelled':
      return withStep(prev, event, 'cancelled');
    default:
      return prev;
  }
}

function withStep(
  prev: Execution,
  event: StoredEvent,
  state: ExecutionState,
  change?: (draft: Draft<Execution>) => void,
): Execution {
  return produce(prev, (draft) => {
    draft.state = state;
    draft.history.push({ seq: event.seq, type: event.type, at: event.time, state });
    change?.(draft);
  });
}
