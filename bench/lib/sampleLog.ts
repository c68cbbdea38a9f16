import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import { parseCalendar } from '../../src/domain/validateCalendar.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { type NewEvent, streams } from '../../src/log/events.js';

const TASKS = 200;
const EPOCH = Date.parse('2026-01-05T08:00:00.000Z');

/**
 * A log as a busy scheduler writes it: a few hundred tasks, then for each occurrence
 * `scheduled → triggered → completed`, with every tenth one failing and being retried
 * (`failed`, `retried`, the retry `scheduled`). Payloads are the real shapes, so row sizes
 * and JSON parse costs match production. Deterministic: the same `count` gives the same
 * events in every process.
 */
export function sampleEvents(count: number): NewEvent[] {
  const calendar = parseCalendar({ timeZone: 'UTC' });
  const events: NewEvent[] = [];
  for (let t = 0; t < TASKS && events.length < count; t++) {
    const task = parseTask(
      {
        id: `task-${t}`,
        title: `Task number ${t}`,
        createdAt: new Date(EPOCH).toISOString(),
        priority: 'medium',
        retry: { maxRetries: 2, delayMs: 60_000, backoff: 'exponential' },
        handler: 'work',
      },
      calendar,
      new Date(EPOCH),
    );
    events.push({ type: 'task.defined', stream: streams.task(task.id), data: { task } });
  }
  for (let k = 0; events.length < count; k++) {
    const taskId = `task-${k % TASKS}`;
    const occ = makeOccurrence({
      taskId,
      cause: 'initial',
      scheduledFor: new Date(EPOCH + 60_000 + k * 1_000),
    });
    const stream = streams.occurrence(occ.id);
    const idempotencyKey = `pf:${taskId}:${occ.id}`;
    events.push(
      { type: 'occurrence.scheduled', stream, data: { occurrence: occ } },
      {
        type: 'occurrence.triggered',
        stream,
        data: { occurrenceId: occ.id, attempt: 0, idempotencyKey, lateByMs: k % 7 },
      },
    );
    if (k % 10 !== 9) {
      events.push({
        type: 'occurrence.completed',
        stream,
        data: { occurrenceId: occ.id, durationMs: 3 + (k % 40) },
      });
      continue;
    }
    const retry = makeOccurrence({
      taskId,
      cause: 'retry',
      scheduledFor: new Date(Date.parse(occ.scheduledFor) + 60_000),
      attempt: 1,
      parentId: occ.id,
    });
    events.push(
      {
        type: 'occurrence.failed',
        stream,
        data: {
          occurrenceId: occ.id,
          durationMs: 12,
          error: { name: 'Error', message: 'upstream answered 503 Service Unavailable' },
        },
      },
      { type: 'occurrence.retried', stream, data: { occurrenceId: occ.id, retryId: retry.id } },
      {
        type: 'occurrence.scheduled',
        stream: streams.occurrence(retry.id),
        data: { occurrence: retry },
      },
    );
  }
  return events.slice(0, count);
}
