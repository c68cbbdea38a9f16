/**
 * The contract between the harness (bench/run.ts) and the child process that runs one
 * measurement (bench/child.ts): a job goes in as JSON on argv, one result line comes out on
 * stdout. One child per (scenario, subject, size) keeps heap figures clean and stops one
 * library's timers or garbage from slowing the next one down.
 */

/**
 * The scenarios of the benchmark: five in memory or on SQLite against in-process timers, and
 * the durable ones (`durable-*`, `soak`) against job queues that keep their jobs in a server,
 * and the fleet ones (`fleet-*`): several PlanFlow instances, each its own process, on one
 * PostgreSQL schema.
 */
export type ScenarioName =
  | 'arm'
  | 'fire'
  | 'append'
  | 'rebuild'
  | 'burst'
  | 'durable-fire'
  | 'durable-burst'
  | 'durable-arm'
  | 'durable-restart'
  | 'soak'
  | 'fleet-throughput'
  | 'fleet-failover';

/** Parameters are flat JSON scalars so they can key result groups and print in tables. */
export type JobParams = Readonly<Record<string, number | string | boolean>>;

/** One measurement to run in a fresh process. */
export type Job = Readonly<{
  scenario: ScenarioName;
  subject: string;
  params: JobParams;
}>;

/** Named figures a scenario measured; units are in the names (`usPerOcc`, `p99Ms`, …). */
export type Metrics = Readonly<Record<string, number>>;

/** What a child reports: its figures plus anything a reader must know to trust them. */
export type ChildOutput = Readonly<{ metrics: Metrics; notes: readonly string[] }>;

/** The prefix of the one stdout line that carries a child's {@link ChildOutput}. */
export const RESULT_PREFIX = 'BENCH_RESULT ';
