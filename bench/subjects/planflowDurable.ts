import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  createScheduler,
  type Handlers,
  makeOccurrence,
  type SmartScheduler,
} from '../../src/index.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import type { DurableQueue, DurableSubject } from './durableQueue.js';
import { ARM_CHUNK } from './durableSettings.js';

/** Job-style: many occurrences may share an instant (by default an instant holds one). */
const CALENDAR = { timeZone: 'UTC', exclusiveInstants: false } as const;

type Store = Awaited<ReturnType<typeof sqliteStore>>;

/**
 * Occurrence ids derive from (task, time), so n jobs due at one instant need n tasks: the
 * k-th job due at an instant belongs to task `job-k`.
 */
function taskRanks(dues: Float64Array): Readonly<{ ranks: Uint32Array; tasks: number }> {
  const seen = new Map<number, number>();
  const ranks = new Uint32Array(dues.length);
  let tasks = 1;
  dues.forEach((due, i) => {
    const rank = seen.get(due) ?? 0;
    seen.set(due, rank + 1);
    ranks[i] = rank;
    if (rank + 1 > tasks) tasks = rank + 1;
  });
  return { ranks, tasks };
}

const taskInput = (k: number) => ({
  id: `job-${k}`,
  title: `Benchmark job ${k}`,
  handler: 'record' as const,
  retry: { maxRetries: 0 },
});

/**
 * Defines tasks `job-0 … job-(count − 1)` through a scheduler on a `synchronous: 'NORMAL'`
 * connection to the file, then lets it go (a scheduler that never started appends nothing
 * on stop). Setup only: under `FULL` each definition is its own fsync'd commit, and the
 * 10 000 tasks Burst needs would take ~40 s to define. `synchronous` belongs to the
 * connection, not the file, so the measured connection opened afterwards is `FULL` again.
 */
async function defineTasks(path: string, count: number): Promise<void> {
  const store = await sqliteStore({ path, synchronous: 'NORMAL', verifyOnOpen: false });
  const setup = createScheduler<Handlers>({
    store,
    calendar: CALENDAR,
    handlers: { record: () => {} },
  });
  for (let k = 0; k < count; k += ARM_CHUNK) {
    const chunk = Array.from({ length: Math.min(ARM_CHUNK, count - k) }, (_, i) => k + i);
    await Promise.all(chunk.map((j) => setup.defineTask(taskInput(j))));
  }
  await setup.stop();
  await store.close();
}

class PlanflowQueue implements DurableQueue {
  readonly #path: string;
  #store: Store | undefined;
  #scheduler: SmartScheduler | undefined;
  #onRun: (dueMs: number) => void = () => {};
  #done = 0;
  #phases: Record<string, number> = {};

  constructor(path: string) {
    this.#path = path;
  }

  /** The measured scheduler, on the default store (FULL, verified on open). */
  async #open(): Promise<SmartScheduler> {
    if (this.#scheduler !== undefined) return this.#scheduler;
    const started = performance.now();
    const store = await sqliteStore({ path: this.#path });
    const storeOpen = performance.now();
    const scheduler = createScheduler<Handlers>({
      store,
      calendar: CALENDAR,
      handlers: {
        record: (occurrence) => {
          this.#onRun(Date.parse(occurrence.scheduledFor));
        },
      },
    });
    scheduler.events.subscribe((event) => {
      if (event.type === 'occurrence.completed') this.#done++;
    });
    await scheduler.ready;
    this.#phases = {
      storeOpenMs: storeOpen - started,
      readyMs: performance.now() - started,
    };
    this.#store = store;
    this.#scheduler = scheduler;
    return scheduler;
  }

  async prepare(dues: Float64Array): Promise<() => Promise<void>> {
    const { ranks, tasks } = taskRanks(dues);
    if (this.#scheduler === undefined) await defineTasks(this.#path, tasks);
    else for (let k = 0; k < tasks; k++) await this.#scheduler.defineTask(taskInput(k));
    const scheduler = await this.#open();
    const occurrences = Array.from(dues, (due, i) =>
      makeOccurrence({ taskId: `job-${ranks[i]}`, cause: 'initial', scheduledFor: new Date(due) }),
    );
    return async () => {
      for (let i = 0; i < occurrences.length; i += ARM_CHUNK) {
        await scheduler.scheduleOccurrences(occurrences.slice(i, i + ARM_CHUNK));
      }
    };
  }

  async startWorker(onRun: (dueMs: number) => void): Promise<void> {
    this.#onRun = onRun;
    const scheduler = await this.#open();
    const started = performance.now();
    await scheduler.start();
    this.#phases = { ...this.#phases, startMs: performance.now() - started };
  }

  async doneCount(): Promise<number> {
    return this.#done;
  }

  phases(): Readonly<Record<string, number>> {
    return this.#phases;
  }

  async close(): Promise<void> {
    await this.#scheduler?.stop();
    await this.#store?.close();
  }
}

/** PlanFlow on the default SQLite store (`synchronous: 'FULL'`), one file per case. */
export const planflowDurable: DurableSubject = {
  namespace: () => join(mkdtempSync(join(tmpdir(), 'planflow-durable-')), 'log.db'),
  open: async (path) => new PlanflowQueue(path),
  drop: async (path) => rmSync(dirname(path), { recursive: true, force: true }),
};
