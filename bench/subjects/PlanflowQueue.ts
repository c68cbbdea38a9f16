import { parseCalendar } from '../../src/domain/validateCalendar.js';
import { parseTask } from '../../src/domain/validateTask.js';
import {
  createScheduler,
  type EventStore,
  type Handlers,
  makeOccurrence,
  type SmartScheduler,
} from '../../src/index.js';
import { taskDefined } from '../../src/log/facts.js';
import type { DurableQueue } from './durableQueue.js';
import { ARM_CHUNK } from './durableSettings.js';

/** Job-style: many occurrences may share an instant (by default an instant holds one). */
const CALENDAR = { timeZone: 'UTC', exclusiveInstants: false } as const;

/** Where a PlanFlow subject keeps its log: the same namespace opened two ways. */
export type PlanflowStores = Readonly<{
  /** The measured store, as an application opens it. */
  open(): Promise<EventStore>;
  /**
   * A store on the same log for defining the tasks beforehand, outside any timing (it may
   * trade durability for speed: it is closed before the measured store opens).
   */
  openForSetup(): Promise<EventStore>;
}>;

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
 * Records tasks `job-0 … job-(count − 1)` the log does not hold yet on the setup store: the
 * `task.defined` entries `defineTask` would append (a one-off task plans nothing), in
 * appends of {@link ARM_CHUNK}.
 * Through a scheduler each definition is a command and a commit of its own, which on
 * PostgreSQL (a round trip per statement and a WAL flush per commit) took ~4 ms: 40 s for
 * the 10 000 tasks Burst needs. The measured scheduler records the calendar when it opens.
 */
async function defineTasks(stores: PlanflowStores, count: number): Promise<void> {
  const store = await stores.openForSetup();
  try {
    const known = new Set((await store.loadLive()).tasks.map((task) => task.id));
    const calendar = parseCalendar(CALENDAR);
    const now = new Date();
    const missing = Array.from({ length: count }, (_, k) => taskInput(k)).filter(
      (input) => !known.has(input.id),
    );
    for (let i = 0; i < missing.length; i += ARM_CHUNK) {
      await store.append(
        missing
          .slice(i, i + ARM_CHUNK)
          .map((input) => taskDefined(parseTask(input, calendar, now))),
      );
    }
  } finally {
    await store.close();
  }
}

/**
 * PlanFlow as a durable subject, on whichever store `stores` opens: a job-style calendar,
 * one task per job due at the same instant, arming through `scheduleOccurrences` in chunks
 * of {@link ARM_CHUNK}, done counted from published `occurrence.completed` entries.
 */
export class PlanflowQueue implements DurableQueue {
  readonly #stores: PlanflowStores;
  #store: EventStore | undefined;
  #scheduler: SmartScheduler | undefined;
  #onRun: (dueMs: number) => void = () => {};
  #done = 0;
  #phases: Record<string, number> = {};

  constructor(stores: PlanflowStores) {
    this.#stores = stores;
  }

  /** The measured scheduler, on the measured store. */
  async #open(): Promise<SmartScheduler> {
    if (this.#scheduler !== undefined) return this.#scheduler;
    const started = performance.now();
    const store = await this.#stores.open();
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
    if (this.#scheduler === undefined) await defineTasks(this.#stores, tasks);
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
