/**
 * Two instances on one PostgreSQL schema: the tasks are spread between them, and when one
 * stops, the other takes its tasks over.
 *
 * Replicas "replica-a" and "replica-b" each open their own store on the same schema (as two
 * pods of one deployment would) and register the same handler. Six tasks run every second;
 * each instance runs the ones it owns. Then replica-a stops (a rolling deploy): replica-b
 * runs all six. At the end the log says, trigger by trigger, which instance ran what, and
 * its chain verifies.
 *
 * Run: `npx tsx examples/fleet.ts [postgres://…] [schema]` (needs a PostgreSQL server; the
 * default is the local test database; the schema is created, and dropped at the end).
 */
import { pathToFileURL } from 'node:url';
import { type Clock, createScheduler, type Handlers, systemClock } from '../src/index.js';
import { type PostgresStore, postgresStore } from '../src/postgres/index.js';

export type FleetOptions = Readonly<{
  /** @default postgres://postgres@127.0.0.1:5432/test */
  connectionString?: string;
  /** @default planflow_fleet_example */
  schema?: string;
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
  print?: (line: string) => void;
  /** Lease of each instance (renewed every third of it). @default 3000 */
  leaseTtlMs?: number;
}>;

/** The tasks each instance ran in a phase, by instance id. */
export type RanBy = Readonly<Record<string, readonly string[]>>;

export type FleetResult = Readonly<{
  /** What each instance ran while both ran, and after replica-a stopped. */
  together: RanBy;
  afterStop: RanBy;
  /** Occurrences triggered more than once (always empty). */
  triggeredTwice: readonly string[];
  verified: boolean;
}>;

const TASKS = ['billing', 'digest', 'cleanup', 'export', 'reindex', 'metrics'];

/** Runs the two-instance scenario; drops its schema at the end. */
export async function runFleet(options: FleetOptions = {}): Promise<FleetResult> {
  const connectionString = options.connectionString ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = options.schema ?? 'planflow_fleet_example';
  const clock = options.clock ?? systemClock;
  const print = options.print ?? ((line: string) => console.log(line));
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const leaseTtlMs = options.leaseTtlMs ?? 3000;
  const ran: { instance: string; taskId: string; atMs: number }[] = [];

  async function replica(instanceId: string) {
    const store = await postgresStore({ connectionString, schema, clock });
    // Handlers are code: every replica registers the same ones.
    const handlers: Handlers = {
      work: (_occurrence, { task }) => {
        ran.push({ instance: instanceId, taskId: task.id, atMs: clock.now() });
      },
    };
    const scheduler = createScheduler({ store, clock, instanceId, handlers, leaseTtlMs });
    return { store, scheduler };
  }

  const a = await replica('replica-a');
  const b = await replica('replica-b');
  const stores: PostgresStore[] = [a.store, b.store];
  try {
    const anchor = new Date(Math.ceil(clock.now() / 1000) * 1000 + 1000).toISOString();
    for (const id of TASKS) {
      // Defined once, on either replica: the log is shared.
      await a.scheduler.defineTask({
        id,
        title: id,
        handler: 'work',
        calendar: 'ignore',
        recurrence: { everyMs: 1000, anchor },
      });
    }
    await a.scheduler.start();
    await b.scheduler.start();
    await sleep(3000);
    // A rolling deploy stops replica-a: its tasks move to replica-b before its handlers drain,
    // so whatever replica-a ran is in by the time stop() resolves.
    await a.scheduler.stop();
    const together = countBy(ran.splice(0));
    print(`both running: ${describe(together)}`);

    await sleep(3000);
    // Stopping drains replica-b's runs in flight too: every run is in `ran` after this.
    await b.scheduler.stop();
    const afterStop = countBy(ran.splice(0));
    print(`after replica-a stopped: ${describe(afterStop)}`);

    const triggers = new Map<string, number>();
    for await (const batch of b.store.read()) {
      for (const entry of batch) {
        if (entry.type !== 'occurrence.triggered') continue;
        triggers.set(entry.data.occurrenceId, (triggers.get(entry.data.occurrenceId) ?? 0) + 1);
      }
    }
    const triggeredTwice = [...triggers].filter(([, n]) => n > 1).map(([id]) => id);
    const verified = (await b.store.verify()).ok;
    print(
      `${triggers.size} triggers, none twice: ${triggeredTwice.length === 0}; chain verified: ${verified}`,
    );
    return { together, afterStop, triggeredTwice, verified };
  } finally {
    for (const s of [a.scheduler, b.scheduler]) if (s.status !== 'stopped') await s.stop();
    for (const store of stores) await store.close();
    await dropSchema(connectionString, schema);
  }
}

function countBy(runs: readonly { instance: string; taskId: string }[]): RanBy {
  const tasks = new Map<string, Set<string>>();
  for (const run of runs) {
    const set = tasks.get(run.instance) ?? new Set();
    set.add(run.taskId);
    tasks.set(run.instance, set);
  }
  return Object.fromEntries([...tasks].sort().map(([id, set]) => [id, [...set].sort()]));
}

const describe = (ranBy: RanBy) =>
  Object.entries(ranBy)
    .map(([instance, tasks]) => `${instance} ran ${tasks.join(' ')}`)
    .join('; ');

/** Leaves the database as it was found. */
async function dropSchema(connectionString: string, schema: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [connectionString, schema] = process.argv.slice(2);
  await runFleet({
    ...(connectionString === undefined ? {} : { connectionString }),
    ...(schema === undefined ? {} : { schema }),
  });
}
