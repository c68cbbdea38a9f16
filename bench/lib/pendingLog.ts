import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import { parseCalendar } from '../../src/domain/validateCalendar.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { type NewEvent, streams } from '../../src/log/events.js';

/**
 * The log of an app about to restart with `n` pending occurrences all due at `dueMs`: one
 * task per occurrence (an occurrence's id derives from its task and time, so n occurrences
 * at one instant need n tasks), written in one batch outside the timing.
 */
export function pendingLog(n: number, dueMs: number): NewEvent[] {
  const calendar = parseCalendar({ timeZone: 'UTC' });
  const now = new Date();
  const events: NewEvent[] = [];
  for (let i = 0; i < n; i++) {
    const task = parseTask(
      { id: `burst-${i}`, title: `Burst ${i}`, handler: 'record', retry: { maxRetries: 0 } },
      calendar,
      now,
    );
    const occurrence = makeOccurrence({
      taskId: task.id,
      cause: 'initial',
      scheduledFor: new Date(dueMs),
    });
    events.push(
      { type: 'task.defined', stream: streams.task(task.id), data: { task } },
      {
        type: 'occurrence.scheduled',
        stream: streams.occurrence(occurrence.id),
        data: { occurrence },
      },
    );
  }
  return events;
}
