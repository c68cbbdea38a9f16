import type { Occurrence } from '../../src/domain/types.js';
import { type NewEvent, streams } from '../../src/log/events.js';

/**
 * The entries of one occurrence that ran and succeeded: scheduled, triggered (with the key the
 * runtime derives for a first attempt), completed. What the long-log experiments fill their
 * settled history with.
 */
export function settledRun(occurrence: Occurrence): NewEvent[] {
  const stream = streams.occurrence(occurrence.id);
  return [
    { type: 'occurrence.scheduled', stream, data: { occurrence } },
    {
      type: 'occurrence.triggered',
      stream,
      data: {
        occurrenceId: occurrence.id,
        attempt: 0,
        idempotencyKey: `pf:${occurrence.taskId}:${occurrence.id}`,
        lateByMs: 3,
      },
    },
    { type: 'occurrence.completed', stream, data: { occurrenceId: occurrence.id, durationMs: 5 } },
  ];
}
