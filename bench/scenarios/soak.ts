import { statSync } from 'node:fs';
import { createScheduler, type Handlers, type SmartScheduler } from '../../src/index.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import { TestClock } from '../../src/testing/index.js';
import { drainEventLoop, settledHeapBytes } from '../lib/heap.js';
import type { ChildOutput, JobParams } from '../lib/job.js';
import { scratchDir } from '../lib/scratch.js';

const DAY_MS = 86_400_000;
/** A Monday, so that nothing depends on the day the benchmark runs. */
const START = Date.parse('2026-03-02T00:00:00.000Z');
/** The first simulated day from which the heap should stay flat (the log has warmed up). */
const FLAT_FROM_DAY = 3;

const bytesOf = (path: string): number => statSync(path, { throwIfNoEntry: false })?.size ?? 0;
const mb = (bytes: number): number => bytes / 2 ** 20;

/** When task `i`'s first run is, from the start: a minute in, the tasks spread over one interval. */
const firstRunOffset = (i: number, tasks: number, everyMs: number): number =>
  60_000 + Math.floor((i * everyMs) / tasks);

type Store = Awaited<ReturnType<typeof sqliteStore>>;

/** The scheduler a long-running app would run: the default store, on the test clock. */
async function openScheduler(
  path: string,
  clock: TestClock,
  onDone: () => void,
): Promise<{ scheduler: SmartScheduler; store: Store }> {
  const store = await sqliteStore({ path, clock });
  const scheduler = createScheduler<Handlers>({
    store,
    clock,
    // The soak fast-forwards days: a lease renewed every 5 s of test time would add 17 280
    // renewals per simulated day to what it times (in real time they cost 57–115 µs each:
    // bench/experiments/leaseCost.ts). An hour-long lease renews every 20 minutes.
    leaseTtlMs: 3_600_000,
    calendar: { timeZone: 'UTC', exclusiveInstants: false },
    handlers: { noop: () => {} },
  });
  scheduler.events.subscribe((event) => {
    if (event.type === 'occurrence.completed') onDone();
  });
  await scheduler.ready;
  return { scheduler, store };
}

/**
 * Soak (PlanFlow only): `tasks` recurring tasks every `everyMs` (their first runs spread over
 * one interval) on the default SQLite store (`synchronous: 'FULL'`), run for `days`
 * simulated days on the TestClock with no-op handlers. After each simulated day: the heap
 * after full GCs and the log's size on disk (file + WAL). At the end the scheduler is stopped
 * and a new one opened on the same file: the time until it is ready and started again.
 */
export async function runSoak(subject: string, params: JobParams): Promise<ChildOutput> {
  if (subject !== 'planflow-sqlite') throw new Error(`bench: unknown soak subject "${subject}"`);
  const tasks = Number(params.tasks);
  const everyMs = Number(params.everyMs);
  const days = Number(params.days);
  const scratch = scratchDir();
  const path = scratch.file('soak.db');
  const clock = new TestClock(START);
  let done = 0;
  const onDone = () => {
    done++;
  };
  try {
    const { scheduler, store } = await openScheduler(path, clock, onDone);
    for (let i = 0; i < tasks; i++) {
      await scheduler.defineTask({
        id: `soak-${i}`,
        title: `Soak task ${i}`,
        handler: 'noop',
        retry: { maxRetries: 0 },
        recurrence: {
          everyMs,
          anchor: new Date(START + firstRunOffset(i, tasks, everyMs)),
        },
      });
    }
    await scheduler.start();
    const metrics: Record<string, number> = {};
    const heap: number[] = [];
    const file: number[] = [];
    const started = performance.now();
    for (let day = 1; day <= days; day++) {
      await clock.advanceAsync(DAY_MS);
      for (let i = 0; i < 3; i++) await clock.settle();
      await drainEventLoop();
      heap.push(settledHeapBytes());
      file.push(bytesOf(path) + bytesOf(`${path}-wal`));
      const d = String(day).padStart(2, '0');
      metrics[`heapMB.day${d}`] = mb(heap[day - 1]!);
      metrics[`fileMB.day${d}`] = mb(file[day - 1]!);
    }
    const realSecPerDay = (performance.now() - started) / 1000 / days;
    let expected = 0;
    for (let i = 0; i < tasks; i++) {
      expected += Math.floor((days * DAY_MS - firstRunOffset(i, tasks, everyMs)) / everyMs) + 1;
    }
    const notes: string[] = [];
    if (done !== expected) notes.push(`${done} runs recorded, expected ${expected}`);
    await scheduler.stop();
    await store.close();

    const reopenStarted = performance.now();
    const reopened = await openScheduler(path, clock, () => {});
    const reopenReadyMs = performance.now() - reopenStarted;
    await reopened.scheduler.start();
    const reopenStartMs = performance.now() - reopenStarted;
    await reopened.scheduler.stop();
    await reopened.store.close();

    const from = Math.min(FLAT_FROM_DAY, days) - 1;
    const base = heap[from]!;
    const drift = heap.slice(from).reduce((max, h) => Math.max(max, Math.abs(h - base)), 0);
    return {
      metrics: {
        heapDriftPct: (drift / base) * 100,
        heapFromMB: mb(base),
        heapLastMB: mb(heap[heap.length - 1]!),
        fileMBPerDay: days > 1 ? mb(file[file.length - 1]! - file[0]!) / (days - 1) : mb(file[0]!),
        fileLastMB: mb(file[file.length - 1]!),
        runs: done,
        reopenReadyMs,
        reopenStartMs,
        realSecPerDay,
        ...metrics,
      },
      notes,
    };
  } finally {
    scratch.remove();
  }
}
