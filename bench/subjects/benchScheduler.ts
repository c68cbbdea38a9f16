import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import type { Occurrence } from '../../src/domain/types.js';
import type { EventStore } from '../../src/log/EventStore.js';
import { createScheduler } from '../../src/scheduler/createScheduler.js';
import type { Handlers } from '../../src/scheduler/handlers.js';
import type { SmartScheduler } from '../../src/scheduler/SmartScheduler.js';

/** A started scheduler with the tasks and occurrences a scenario needs. */
export type BenchScheduler = Readonly<{
  scheduler: SmartScheduler;
  /** One occurrence per due time, in the order of the due times. */
  occurrences: readonly Occurrence[];
}>;

/**
 * Builds (outside any timing) a running scheduler on `store` with an always-open UTC calendar
 * and one handler, `record`, that calls `onRun` with the occurrence on entry. Occurrence ids
 * derive from (task, cause, time, attempt), so due times that repeat are spread over as many
 * tasks as the most repeated one needs: the n-th occurrence due at an instant belongs to task
 * `bench-n`. With `acceptEveryInstant` the calendar sets `exclusiveInstants: false`: by
 * default an instant holds one occurrence (the seed's rule) and the rest would be skipped.
 */
export async function benchScheduler(
  store: EventStore,
  dues: Float64Array,
  onRun: (occurrence: Occurrence) => void,
  acceptEveryInstant = false,
): Promise<BenchScheduler> {
  const scheduler = createScheduler<Handlers>({
    store,
    calendar: { timeZone: 'UTC', ...(acceptEveryInstant ? { exclusiveInstants: false } : {}) },
    handlers: {
      record: (occurrence) => {
        onRun(occurrence);
      },
    },
  });
  await scheduler.ready;
  const seen = new Map<number, number>();
  const taskIndex = Array.from(dues, (due) => {
    const rank = seen.get(due) ?? 0;
    seen.set(due, rank + 1);
    return rank;
  });
  let tasks = 1;
  for (const count of seen.values()) if (count > tasks) tasks = count;
  for (let t = 0; t < tasks; t++) {
    await scheduler.defineTask({
      id: `bench-${t}`,
      title: `Benchmark task ${t}`,
      handler: 'record',
      retry: { maxRetries: 0 },
    });
  }
  await scheduler.start();
  const occurrences = Array.from(dues, (due, i) =>
    makeOccurrence({
      taskId: `bench-${taskIndex[i]}`,
      cause: 'initial',
      scheduledFor: new Date(due),
    }),
  );
  return { scheduler, occurrences };
}
