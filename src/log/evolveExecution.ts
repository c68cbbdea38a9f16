import type { Execution, ExecutionState, Task } from '../domain/types.js';
import type { StoredEvent } from './events.js';

const SCHEDULED = 'occurrence.scheduled';

/**
 * How one occurrence event moves an occurrence's execution record. A pure function over
 * immutable values (each step builds the next frozen record), so folding the log from
 * scratch and applying events live produce identical read models.
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
    if (prev !== undefined) return withStep(prev, event, SCHEDULED, prev.state);
    const task = taskOf(occ.taskId);
    const maxRetries = task?.retry.maxRetries ?? 0;
    const execution: Execution = {
      occurrenceId: occ.id,
      taskId: occ.taskId,
      scheduledFor: occ.scheduledFor,
      attempt: occ.attempt,
      cause: occ.cause,
      state: 'scheduled',
      retriesRemaining: Math.max(0, maxRetries - occ.attempt),
      triggered: false,
      history: Object.freeze([
        Object.freeze({ seq: event.seq, type: SCHEDULED, at: event.time, state: 'scheduled' }),
      ]),
    };
    return Object.freeze(
      // A run for a slot at another time (catch-up, backfill, buffered) takes no place either.
      task?.calendar === 'ignore' || occ.slot !== undefined
        ? { ...execution, outsideCalendar: true as const }
        : execution,
    );
  }
  if (prev === undefined) return prev;
  switch (event.type) {
    case 'occurrence.skipped':
      return withStep(prev, event, 'occurrence.skipped', 'skipped');
    case 'occurrence.triggered':
      return withStep(
        prev,
        event,
        'occurrence.triggered',
        'triggered',
        event.data.instanceId === undefined
          ? { triggered: true, triggeredAt: event.time }
          : { triggered: true, triggeredAt: event.time, triggeredBy: event.data.instanceId },
      );
    case 'occurrence.completed':
      return withStep(prev, event, 'occurrence.completed', 'done', {
        outcome: 'completed',
        finishedAt: event.time,
      });
    case 'occurrence.failed':
      return withStep(prev, event, 'occurrence.failed', 'failed', {
        outcome: 'failed',
        finishedAt: event.time,
        error: Object.freeze({ ...event.data.error }),
      });
    case 'occurrence.missed':
      return withStep(prev, event, 'occurrence.missed', 'missed', { outcome: 'missed' });
    case 'occurrence.retried':
      return withStep(prev, event, 'occurrence.retried', 'retrying', {
        followUpId: event.data.retryId,
      });
    case 'occurrence.recurred':
      return withStep(prev, event, 'occurrence.recurred', 'recurred', {
        followUpId: event.data.nextId,
      });
    case 'occurrence.recovered':
      return withStep(prev, event, 'occurrence.recovered', 'recovered', {
        followUpId: event.data.replacementId,
      });
    case 'occurrence.cancelled':
      return withStep(prev, event, 'occurrence.cancelled', 'cancelled');
    default:
      return prev;
  }
}

/** Fields a step may set besides `state` and `history`. */
type StepChanges = Partial<
  Pick<
    Execution,
    'triggered' | 'triggeredAt' | 'triggeredBy' | 'outcome' | 'finishedAt' | 'error' | 'followUpId'
  >
>;

/**
 * The next record: `prev` with the new state, one more history entry and `changes`, all
 * frozen. Built by hand rather than with immer: a rebuild folds a million events, and a
 * proxy draft per event cost about four times the rest of the fold (see docs/performance.md).
 * New keys land after the existing ones, exactly where a draft assignment would put them.
 * `type` is the literal of the event's own type: equal to `event.type`, but one shared string
 * instead of a copy per row read from storage, which a million history entries would keep.
 */
function withStep(
  prev: Execution,
  event: StoredEvent,
  type: StoredEvent['type'],
  state: ExecutionState,
  changes?: StepChanges,
): Execution {
  const step = Object.freeze({ seq: event.seq, type, at: event.time, state });
  // concat sizes the new array exactly; a spread leaves growth room in every history kept.
  const history = Object.freeze(prev.history.concat([step]));
  return Object.freeze({ ...prev, state, history, ...changes });
}
