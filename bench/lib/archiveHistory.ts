import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import { parseTask } from '../../src/domain/validateTask.js';
import type { EventStore } from '../../src/log/EventStore.js';
import type { NewEvent } from '../../src/log/events.js';
import { streams } from '../../src/log/events.js';
import { settledRun } from './settledRun.js';

const DAY = 86_400_000;
const EPOCH = Date.parse('2026-01-05T08:00:00.000Z');
const SPAN_DAYS = 100;

/**
 * The long log of the archive experiments (SQLite's and PostgreSQL's), so both measure one
 * history: `n` entries of settled history (100 tasks; each occurrence scheduled, triggered,
 * completed) stamped over 100 days from {@link ARCHIVE_HISTORY.epoch}, then 100 pending
 * occurrences a day before {@link ARCHIVE_HISTORY.now}. Archiving before `now` minus
 * `keepMs` moves every entry older than ten days.
 */
export const ARCHIVE_HISTORY = Object.freeze({
  epoch: EPOCH,
  now: EPOCH + SPAN_DAYS * DAY,
  keepMs: 10 * DAY,
});

/**
 * Writes that history through the store `open` gives for a clock (it is closed at the end):
 * the store stamps each batch at the time the history has reached.
 */
export async function writeArchiveHistory(
  open: (clock: { now: () => number }) => Promise<EventStore & { close(): Promise<void> }>,
  n: number,
): Promise<void> {
  let now = EPOCH;
  const store = await open({ now: () => now });
  const tasks: NewEvent[] = [];
  for (let t = 0; t < 100; t++) {
    const task = parseTask({ id: `task-${t}`, title: `Task ${t}` }, undefined, new Date(EPOCH));
    tasks.push({ type: 'task.defined', stream: streams.task(task.id), data: { task } });
  }
  await store.append(tasks);
  const occurrences = Math.ceil((n - 200) / 3);
  for (let k = 0; k < occurrences; k += 1000) {
    const batch: NewEvent[] = [];
    for (let j = k; j < Math.min(occurrences, k + 1000); j++) {
      const occ = makeOccurrence({
        taskId: `task-${j % 100}`,
        cause: 'initial',
        scheduledFor: new Date(EPOCH + Math.floor((j * SPAN_DAYS * DAY) / occurrences)),
      });
      batch.push(...settledRun(occ));
    }
    now = EPOCH + Math.floor((k * SPAN_DAYS * DAY) / occurrences);
    await store.append(batch);
  }
  const end = EPOCH + SPAN_DAYS * DAY;
  now = end - DAY;
  await store.append(
    Array.from({ length: 100 }, (_, k) => {
      const occurrence = makeOccurrence({
        taskId: `task-${k}`,
        cause: 'initial',
        scheduledFor: new Date(end + DAY + k * 60_000),
      });
      return {
        type: 'occurrence.scheduled' as const,
        stream: streams.occurrence(occurrence.id),
        data: { occurrence },
      };
    }),
  );
  await store.close();
}
