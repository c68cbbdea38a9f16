import { randomBytes } from 'node:crypto';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { dropPgSchema } from '../lib/dropPgSchema.js';
import type { DurableQueue, DurableSubject } from './durableQueue.js';
import { DURABLE_SETTINGS, PG_URL } from './durableSettings.js';

const QUEUE = 'bench';
const settings = DURABLE_SETTINGS['pg-boss']!.settings;

type Payload = Readonly<{ due: number }>;

class PgBossQueue implements DurableQueue {
  readonly #boss: PgBoss;
  readonly #schema: string;
  readonly #phases: Record<string, number>;
  #counter: pg.Client | undefined;

  constructor(boss: PgBoss, schema: string, phases: Record<string, number>) {
    this.#boss = boss;
    this.#schema = schema;
    this.#phases = phases;
  }

  async prepare(dues: Float64Array): Promise<() => Promise<void>> {
    const jobs: PgBoss.JobInsert<Payload>[] = Array.from(dues, (due) => ({
      name: QUEUE,
      data: { due },
      startAfter: new Date(due),
    }));
    const chunk = Number(settings.insertChunk);
    return async () => {
      for (let i = 0; i < jobs.length; i += chunk)
        await this.#boss.insert(jobs.slice(i, i + chunk));
    };
  }

  async startWorker(onRun: (dueMs: number) => void): Promise<void> {
    const started = performance.now();
    await this.#boss.work<Payload>(
      QUEUE,
      {
        pollingIntervalSeconds: Number(settings.pollingIntervalSeconds),
        batchSize: Number(settings.batchSize),
      },
      async (jobs) => {
        for (const job of jobs) onRun(job.data.due);
      },
    );
    this.#phases.workMs = performance.now() - started;
  }

  async doneCount(): Promise<number> {
    if (this.#counter === undefined) {
      this.#counter = new pg.Client({ connectionString: PG_URL });
      await this.#counter.connect();
    }
    const result = await this.#counter.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${this.#schema}".job WHERE name = $1 AND state = 'completed'`,
      [QUEUE],
    );
    return result.rows[0]?.n ?? 0;
  }

  phases(): Readonly<Record<string, number>> {
    return this.#phases;
  }

  async close(): Promise<void> {
    await this.#boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    await this.#counter?.end();
  }
}

/** pg-boss 10 on PostgreSQL, one schema per case (pg-boss creates it on start). */
export const pgBossDurable: DurableSubject = {
  namespace: () => `bench_pgboss_${process.pid}_${randomBytes(4).toString('hex')}`,
  async open(schema) {
    const started = performance.now();
    const boss = new PgBoss({ connectionString: PG_URL, schema });
    boss.on('error', (error) => process.stderr.write(`pg-boss: ${error.message}\n`));
    await boss.start();
    const startMs = performance.now() - started;
    // Idempotent: an app creates its queues at every start-up.
    await boss.createQueue(QUEUE);
    return new PgBossQueue(boss, schema, { startMs, openMs: performance.now() - started });
  },
  drop: dropPgSchema,
};
