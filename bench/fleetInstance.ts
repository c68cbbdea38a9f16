import { postgresStore } from '../src/postgres/index.js';
import { createScheduler } from '../src/scheduler/createScheduler.js';
import { SchedulerLease } from '../src/scheduler/SchedulerLease.js';
import { FLEET_CALENDAR, type FleetInstanceArgs } from './lib/fleetInstanceArgs.js';
import { serveUntilSigterm } from './lib/serveUntilSigterm.js';

/**
 * One instance of a fleet on a PostgreSQL schema, for the Fleet scenarios: a scheduler of its
 * own on `postgresStore` with the given instance id and lease, its handlers a no-op (`noop`)
 * and a wait of `workMs` (`work`). Started (bundled, see bundledFleetInstance) as
 * `node fleetInstance.mjs '<FleetInstanceArgs json>'`; prints `ready` once started, stops on
 * SIGTERM, and is SIGKILLed by the Failover scenario.
 */
const raw = process.argv[2];
if (raw === undefined) {
  process.stderr.write("usage: node fleetInstance.mjs '<FleetInstanceArgs json>'\n");
  process.exit(2);
}
const args = JSON.parse(raw) as FleetInstanceArgs;
// The spreading docs/architecture.md (decision 20) weighs against the one PlanFlow uses, for
// measuring it: with BENCH_FLEET_SPREAD=all every instance arms every task and the store's
// one-trigger rule decides who runs each occurrence; by default the running instances
// partition the tasks (rendezvous hashing).
if (process.env.BENCH_FLEET_SPREAD === 'all') {
  Object.defineProperty(SchedulerLease.prototype, 'owns', {
    value(this: SchedulerLease): boolean {
      return this.held;
    },
  });
}
const store = await postgresStore({
  connectionString: args.url,
  schema: args.schema,
  maxConnections: args.maxConnections,
  verifyOnOpen: false,
});
const scheduler = createScheduler({
  store,
  calendar: FLEET_CALENDAR,
  instanceId: args.instanceId,
  leaseTtlMs: args.leaseTtlMs,
  graceMs: args.graceMs,
  handlers: {
    noop: () => undefined,
    work: () => new Promise<void>((resolve) => setTimeout(resolve, args.workMs)),
  },
  onError: (error) => process.stderr.write(`${args.instanceId}: ${String(error)}\n`),
});
await serveUntilSigterm({ scheduler, store });
