import type { EventStore } from '../../src/log/EventStore.js';
import { memoryStore } from '../../src/log/memoryStore.js';
import { createScheduler } from '../../src/scheduler/createScheduler.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import { wallNow } from '../lib/clock.js';
import type { ChildOutput, JobParams } from '../lib/job.js';
import { pendingLog } from '../lib/pendingLog.js';
import { scratchDir } from '../lib/scratch.js';

async function openStore(subject: string, path: string): Promise<EventStore> {
  switch (subject) {
    case 'planflow-sqlite-full':
      return sqliteStore({ path, synchronous: 'FULL' });
    case 'planflow-sqlite-normal':
      return sqliteStore({ path, synchronous: 'NORMAL' });
    case 'planflow-memory':
      return memoryStore();
    default:
      throw new Error(`bench: unknown burst subject "${subject}"`);
  }
}

/**
 * Burst: `n` occurrences due at the same instant, end to end. The scheduler starts on a log
 * that already holds them (as after a restart), arms them, and at the instant triggers each:
 * records `occurrence.triggered`, runs the handler, records `occurrence.completed`. Times are
 * measured from the due instant to the moment the last entry of each kind was durable and
 * published. The calendar sets `exclusiveInstants: false`; by default an instant holds one
 * occurrence.
 */
export async function runBurst(subject: string, params: JobParams): Promise<ChildOutput> {
  const n = Number(params.n);
  const dueMs = Math.ceil(Date.now() + Number(params.leadMs));
  const scratch = scratchDir();
  const store = await openStore(subject, scratch.file('burst.db'));
  try {
    await store.append(pendingLog(n, dueMs));
    let firstRun = Number.NaN;
    let triggered = 0;
    let completed = 0;
    let lastTriggered = Number.NaN;
    let allDone: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      allDone = resolve;
    });
    const scheduler = createScheduler({
      store,
      calendar: { timeZone: 'UTC', exclusiveInstants: false },
      handlers: {
        record: () => {
          if (Number.isNaN(firstRun)) firstRun = wallNow();
        },
      },
    });
    scheduler.events.subscribe((event) => {
      if (event.type === 'occurrence.triggered' && ++triggered === n) lastTriggered = wallNow();
      if (event.type === 'occurrence.completed' && ++completed === n) allDone();
    });
    await scheduler.start();
    const armedAt = Date.now();
    const notes: string[] = [];
    if (armedAt > dueMs) notes.push(`arming ended ${armedAt - dueMs} ms after the due instant`);
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        allDone();
      },
      dueMs - Date.now() + 120_000,
    );
    await done;
    const finished = wallNow();
    clearTimeout(timer);
    if (timedOut) notes.push(`only ${completed} of ${n} completed within 120 s`);
    await scheduler.stop();
    const allTriggeredMs = lastTriggered - dueMs;
    return {
      metrics: {
        triggersPerSec: (n * 1000) / allTriggeredMs,
        allTriggeredMs,
        allDoneMs: finished - dueMs,
        firstLateMs: firstRun - dueMs,
        armMs: armedAt - (dueMs - Number(params.leadMs)),
      },
      notes,
    };
  } finally {
    await store.close();
    scratch.remove();
  }
}
