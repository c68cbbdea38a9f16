/**
 * How the durable subjects are configured, as data: the subjects read their settings from
 * here and the harness prints them (without loading any library) at the start and end of a
 * run, so every figure is published next to the configuration that produced it.
 */

/** The PostgreSQL database the PostgreSQL-backed peers use (trust auth). */
export const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The Redis server BullMQ uses. */
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A server a peer needs; a subject whose server is unreachable is skipped with the reason. */
export type Server = 'postgres' | 'redis';

/** Jobs per bulk call when arming: every subject arms through its bulk API in these chunks. */
export const ARM_CHUNK = 1_000;

type Setting = string | number | boolean;

/** One durable subject: the server it needs (none: in-process) and its tuning, with why. */
export type DurableSettings = Readonly<{
  server: Server | undefined;
  settings: Readonly<Record<string, Setting>>;
  why: string;
}>;

/** Every durable subject by the name results carry. */
export const DURABLE_SETTINGS: Readonly<Record<string, DurableSettings>> = {
  setTimeout: {
    server: undefined,
    settings: { durable: false },
    why: 'the in-memory floor: one plain setTimeout per job, nothing stored',
  },
  'planflow-sqlite': {
    server: undefined,
    settings: {
      store: 'sqliteStore defaults',
      synchronous: 'FULL',
      verifyOnOpen: 'new',
      exclusiveInstants: false,
      scheduleOccurrencesChunk: ARM_CHUNK,
    },
    why: 'the default store from planflow/sqlite; a job-style calendar (many jobs per instant)',
  },
  'planflow-postgres': {
    server: 'postgres',
    settings: {
      store: 'postgresStore defaults',
      verifyOnOpen: 'new',
      maxConnections: 4,
      exclusiveInstants: false,
      scheduleOccurrencesChunk: ARM_CHUNK,
    },
    why: 'the store from planflow/postgres as an application opens it, one schema per case; the same job-style calendar as on SQLite',
  },
  'planflow-fleet-1': {
    server: 'postgres',
    settings: { instances: 1, store: 'postgresStore', maxConnections: 4, verifyOnOpen: false },
    why: 'the Fleet baseline: one instance (its own OS process) on the schema',
  },
  'planflow-fleet-3': {
    server: 'postgres',
    settings: { instances: 3, store: 'postgresStore', maxConnections: 4, verifyOnOpen: false },
    why: 'three instances, each its own OS process, on one schema: tasks spread by rendezvous hashing, entries of the others by LISTEN/NOTIFY',
  },
  'raw-sqlite-floor': {
    server: undefined,
    settings: { synchronous: 'FULL', rowsPerCommit: 256 },
    why: "the physical floor: PlanFlow's trigger and outcome rows inserted by better-sqlite3",
  },
  'pg-boss': {
    server: 'postgres',
    settings: { pollingIntervalSeconds: 0.5, batchSize: 1_000, insertChunk: ARM_CHUNK },
    why: 'the shortest polling interval pg-boss accepts (500 ms), and a batch that holds more than one interval of Fire (1 000 jobs/s)',
  },
  'graphile-worker': {
    server: 'postgres',
    settings: {
      concurrentJobs: 24,
      maxPoolSize: 25,
      'localQueue.size': 500,
      completeJobBatchDelay: 0,
      failJobBatchDelay: 0,
      pollInterval: 100,
      NO_LOG_SUCCESS: true,
      addJobsChunk: ARM_CHUNK,
    },
    why: 'the configuration of its performance page; pollInterval cut from 2 000 ms to 100 ms because jobs due in the future are found by polling, not LISTEN/NOTIFY',
  },
  bullmq: {
    server: 'redis',
    settings: { concurrency: 100, addBulkChunk: ARM_CHUNK, removeOnComplete: false },
    why: 'delayed jobs with a high worker concurrency for no-op jobs; completed jobs kept so they stay recorded',
  },
};

/** `name: k=v, k=v` lines for the run's output. */
export function describeSettings(subjects: readonly string[]): string[] {
  return subjects.flatMap((name) => {
    const entry = DURABLE_SETTINGS[name];
    if (entry === undefined) return [];
    const pairs = Object.entries(entry.settings).map(([k, v]) => `${k}=${String(v)}`);
    return [`  ${name.padEnd(18)} ${pairs.join(', ')} — ${entry.why}`];
  });
}
