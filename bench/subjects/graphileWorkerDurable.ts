import { randomBytes } from 'node:crypto';
import type { AddJobsJobSpec, Runner, WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { dropPgSchema } from '../lib/dropPgSchema.js';
import type { DurableQueue, DurableSubject } from './durableQueue.js';
import { DURABLE_SETTINGS, PG_URL } from './durableSettings.js';

const TASK = 'bench';
const settings = DURABLE_SETTINGS['graphile-worker']!.settings;

type Payload = Readonly<{ due: number }>;

/**
 * graphile-worker reads NO_LOG_SUCCESS when its modules load (its performance advice: a log
 * line per completed job costs throughput), so it is loaded only after that is set.
 */
async function graphile(): Promise<typeof import('graphile-worker')> {
  process.env.NO_LOG_SUCCESS = '1';
  return import('graphile-worker');
}

/** Warnings and errors only: the default logger writes a line per worker event. */
async function quietLogger() {
  const { Logger } = await graphile();
  return new Logger(() => (level, message) => {
    if (level === 'error' || level === 'warning') {
      process.stderr.write(`graphile-worker ${level}: ${message}\n`);
    }
  });
}

class GraphileWorkerQueue implements DurableQueue {
  readonly #schema: string;
  #utils: WorkerUtils | undefined;
  #runner: Runner | undefined;
  #total = 0;
  #counter: pg.Client | undefined;
  readonly #phases: Record<string, number> = {};

  constructor(schema: string) {
    this.#schema = schema;
  }

  async #workerUtils(): Promise<WorkerUtils> {
    if (this.#utils === undefined) {
      const { makeWorkerUtils } = await graphile();
      this.#utils = await makeWorkerUtils({
        connectionString: PG_URL,
        schema: this.#schema,
        logger: await quietLogger(),
      });
      await this.#utils.migrate();
    }
    return this.#utils;
  }

  async prepare(dues: Float64Array): Promise<() => Promise<void>> {
    const utils = await this.#workerUtils();
    const specs: AddJobsJobSpec[] = Array.from(dues, (due) => ({
      identifier: TASK,
      payload: { due } satisfies Payload,
      runAt: new Date(due),
    }));
    const chunk = Number(settings.addJobsChunk);
    return async () => {
      for (let i = 0; i < specs.length; i += chunk) await utils.addJobs(specs.slice(i, i + chunk));
      this.#total += specs.length;
    };
  }

  async startWorker(onRun: (dueMs: number) => void): Promise<void> {
    const started = performance.now();
    const { run } = await graphile();
    this.#runner = await run({
      noHandleSignals: true,
      logger: await quietLogger(),
      crontab: '',
      taskList: {
        [TASK]: async (payload) => {
          onRun((payload as Payload).due);
        },
      },
      preset: {
        worker: {
          connectionString: PG_URL,
          schema: this.#schema,
          concurrentJobs: Number(settings.concurrentJobs),
          maxPoolSize: Number(settings.maxPoolSize),
          pollInterval: Number(settings.pollInterval),
          localQueue: { size: Number(settings['localQueue.size']) },
          completeJobBatchDelay: Number(settings.completeJobBatchDelay),
          failJobBatchDelay: Number(settings.failJobBatchDelay),
        },
      },
    });
    this.#phases.runMs = performance.now() - started;
  }

  /** A completed job is deleted from the queue: done = added − still there. */
  async doneCount(): Promise<number> {
    if (this.#counter === undefined) {
      this.#counter = new pg.Client({ connectionString: PG_URL });
      await this.#counter.connect();
    }
    const result = await this.#counter.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${this.#schema}"._private_jobs`,
    );
    return this.#total - (result.rows[0]?.n ?? 0);
  }

  phases(): Readonly<Record<string, number>> {
    return this.#phases;
  }

  async close(): Promise<void> {
    await this.#runner?.stop();
    await this.#utils?.release();
    await this.#counter?.end();
  }
}

/** graphile-worker 0.17 on PostgreSQL, one schema per case (its migrations create it). */
export const graphileWorkerDurable: DurableSubject = {
  namespace: () => `bench_graphile_${process.pid}_${randomBytes(4).toString('hex')}`,
  open: async (schema) => new GraphileWorkerQueue(schema),
  drop: dropPgSchema,
};
