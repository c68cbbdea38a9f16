import type { JobParams, ScenarioName } from './lib/job.js';

/**
 * One comparison: the same scenario and parameters for several subjects, one of which is the
 * baseline every ratio is taken against. Each subject runs in its own process once per round.
 */
export type Group = Readonly<{
  id: string;
  scenario: ScenarioName;
  params: JobParams;
  subjects: readonly string[];
  /** The subject ratios are taken against; none for scenarios with nothing to compare to. */
  baseline: string | undefined;
  /** A child still running after this is killed and reported as not finished. */
  timeoutMs: number;
  /** Runs in at most this many rounds (Soak takes minutes and has nothing to alternate with). */
  maxRounds?: number;
}>;

/** The whole run: groups, rounds, and the sizes chosen by the mode. */
export type Plan = Readonly<{ mode: 'quick' | 'full'; rounds: number; groups: readonly Group[] }>;

const TIMER_PEERS = ['setTimeout', 'node-schedule', 'croner', 'toad-scheduler'] as const;
const PLANFLOW_TIMERS = ['planflow-timerqueue', 'planflow'] as const;
/** Arm only: the scheduler armed through `scheduleOccurrences` in chunks (a different API use). */
const PLANFLOW_BATCH = 'planflow-batch';

/** The job queues that keep their jobs in a server, beside PlanFlow on SQLite. */
const DURABLE_PEERS = ['pg-boss', 'graphile-worker', 'bullmq'] as const;
/** PlanFlow on its two durable stores: the default SQLite file, and PostgreSQL. */
const PLANFLOW_DURABLE = ['planflow-sqlite', 'planflow-postgres'] as const;

/** Scenario names the command line may restrict a run to. */
export const SCENARIOS: readonly ScenarioName[] = [
  'arm',
  'fire',
  'append',
  'rebuild',
  'burst',
  'durable-fire',
  'durable-burst',
  'durable-arm',
  'durable-restart',
  'soak',
  'fleet-throughput',
  'fleet-failover',
];

/** The durable scenarios, which `npm run bench -- durable` selects together. */
export const DURABLE_SCENARIOS: readonly ScenarioName[] = SCENARIOS.filter(
  (s) => s.startsWith('durable-') || s === 'soak',
);

/** The fleet scenarios, which `npm run bench -- fleet` selects together. */
export const FLEET_SCENARIOS: readonly ScenarioName[] = SCENARIOS.filter((s) =>
  s.startsWith('fleet-'),
);

/** The lease and grace of the Failover runs: a short lease, and the default one. */
export const FAILOVER_LEASES = [3_000, 15_000] as const;
export const FAILOVER_GRACE_MS = 2_000;

/**
 * The fleet scenarios: PlanFlow instances, each its own OS process, on one PostgreSQL
 * schema. Throughput runs one instance (the baseline) and three on the same occurrences;
 * Failover SIGKILLs one of three instances again and again, once with a short lease and once
 * with the default one (on one host a dead pid's lease is stale at once, so the lease's
 * length should not show).
 */
function fleetGroups(quick: boolean): Group[] {
  const n = quick ? 3_000 : 30_000;
  return [
    {
      id: `fleet-throughput n=${n} tasks=300`,
      scenario: 'fleet-throughput',
      params: {
        n,
        tasks: 300,
        // Due over 1.5 s: 20 000 a second offered, twice the rate the target asks of three
        // instances. Offered at exactly the target's rate (over 3 s), a fleet that kept up
        // would measure just under it, since the first trigger to the last completion spans
        // the whole window: the offer, not the fleet, would set the figure.
        windowMs: 1_500,
        leadMs: quick ? 10_000 : 30_000,
        leaseTtlMs: 15_000,
        graceMs: 30_000,
      },
      subjects: ['planflow-fleet-1', 'planflow-fleet-3'],
      baseline: 'planflow-fleet-1',
      timeoutMs: 420_000,
    },
    ...FAILOVER_LEASES.map(
      (leaseTtlMs): Group => ({
        id: `fleet-failover lease=${leaseTtlMs}`,
        scenario: 'fleet-failover',
        params: {
          tasks: 60,
          kills: quick ? 1 : 6,
          leaseTtlMs,
          graceMs: FAILOVER_GRACE_MS,
          workMs: 200,
        },
        subjects: ['planflow-fleet-3'],
        baseline: undefined,
        timeoutMs: quick ? 120_000 : 400_000,
        maxRounds: 1,
      }),
    ),
  ];
}

/**
 * The durable scenarios: PlanFlow on its default SQLite store (`synchronous: 'FULL'`) and on
 * PostgreSQL beside job queues on PostgreSQL and Redis. Quick sizes keep the smoke run short.
 */
function durableGroups(quick: boolean): Group[] {
  const fireN = quick ? 200 : 10_000;
  const burstN = quick ? 200 : 10_000;
  const armN = quick ? 2_000 : 100_000;
  const restartN = quick ? 2_000 : 100_000;
  const soak = quick ? { tasks: 2, days: 4 } : { tasks: 100, days: 14 };
  return [
    {
      id: `durable-fire n=${fireN}`,
      scenario: 'durable-fire',
      // The lead covers arming: PlanFlow gives every job within its horizon a live actor.
      params: { n: fireN, windowMs: quick ? 1_000 : 10_000, leadMs: quick ? 3_000 : 10_000 },
      subjects: ['setTimeout', ...PLANFLOW_DURABLE, ...DURABLE_PEERS],
      baseline: 'setTimeout',
      timeoutMs: 150_000,
    },
    {
      id: `durable-burst n=${burstN}`,
      scenario: 'durable-burst',
      params: { n: burstN, leadMs: quick ? 3_000 : 15_000 },
      subjects: ['raw-sqlite-floor', ...PLANFLOW_DURABLE, ...DURABLE_PEERS],
      baseline: 'raw-sqlite-floor',
      timeoutMs: 240_000,
    },
    {
      id: `durable-arm n=${armN}`,
      scenario: 'durable-arm',
      params: { n: armN, order: 'shuffled' },
      subjects: [...PLANFLOW_DURABLE, ...DURABLE_PEERS],
      baseline: undefined,
      timeoutMs: 240_000,
    },
    {
      id: `durable-restart n=${restartN}`,
      scenario: 'durable-restart',
      params: { n: restartN, readyTimeoutMs: 120_000 },
      subjects: [...PLANFLOW_DURABLE, ...DURABLE_PEERS],
      baseline: 'pg-boss',
      timeoutMs: 300_000,
    },
    {
      id: `soak tasks=${soak.tasks} days=${soak.days}`,
      scenario: 'soak',
      params: { ...soak, everyMs: 600_000 },
      subjects: ['planflow-sqlite'],
      baseline: undefined,
      // About 20 s of real time per simulated day of 100 tasks on the project machine.
      timeoutMs: quick ? 60_000 : 1_800_000,
      maxRounds: 1,
    },
  ];
}

/**
 * Every scenario at full size, or a smoke-sized version (one round, small N) that finishes in
 * a couple of minutes and exercises every code path the full run takes.
 */
export function buildPlan(mode: 'quick' | 'full', only?: readonly ScenarioName[]): Plan {
  const quick = mode === 'quick';
  const groups: Group[] = [];
  const armSizes = quick ? [2_000] : [10_000, 100_000];
  for (const n of armSizes) {
    for (const order of quick ? ['shuffled'] : ['ascending', 'shuffled']) {
      groups.push({
        id: `arm n=${n} ${order}`,
        scenario: 'arm',
        params: { n, order },
        subjects: [
          ...TIMER_PEERS,
          ...PLANFLOW_TIMERS,
          PLANFLOW_BATCH,
          ...(n >= 100_000 ? ['planflow-sqlite'] : []),
        ],
        baseline: 'setTimeout',
        timeoutMs: quick ? 30_000 : 45_000,
      });
    }
  }
  if (!quick) {
    // A million PlanFlow occurrences take about a minute to arm: shuffled only (the order
    // that costs the heap-based queues more), to keep the full run under half an hour.
    for (const order of ['shuffled']) {
      groups.push({
        id: `arm n=1000000 ${order}`,
        scenario: 'arm',
        params: { n: 1_000_000, order },
        subjects: ['setTimeout', ...PLANFLOW_TIMERS, PLANFLOW_BATCH],
        baseline: 'setTimeout',
        timeoutMs: 300_000,
      });
    }
  }
  const fireN = quick ? 500 : 10_000;
  groups.push({
    id: `fire n=${fireN}`,
    scenario: 'fire',
    // croner builds a full cron pattern per one-off job and PlanFlow gives every occurrence
    // within its horizon a live actor, so both take seconds to arm 10 000 (see Arm); a longer
    // lead keeps arming out of their lateness figures. Arming time is reported as `armMs`.
    params: {
      n: fireN,
      windowMs: quick ? 500 : 5_000,
      leadMs: quick ? 1_000 : 3_000,
      slowArming: 'croner,planflow',
      slowLeadMs: quick ? 3_000 : 25_000,
    },
    subjects: [...TIMER_PEERS, ...PLANFLOW_TIMERS],
    baseline: 'setTimeout',
    timeoutMs: 90_000,
  });
  const appendN = quick ? 10_000 : 200_000;
  for (const synchronous of ['NORMAL', 'FULL']) {
    for (const appendMode of quick ? ['batch'] : ['batch', 'group', 'single']) {
      const single = synchronous === 'FULL' ? 1_000 : 3_000;
      const n = appendMode === 'single' ? (quick ? 300 : single) : appendN;
      groups.push({
        id: `append ${synchronous} ${appendMode}`,
        scenario: 'append',
        params: { n, synchronous, mode: appendMode, batch: appendMode === 'single' ? 1 : 1_000 },
        subjects:
          synchronous === 'NORMAL'
            ? ['raw-sqlite', 'planflow-sqlite', 'planflow-memory']
            : ['raw-sqlite', 'planflow-sqlite'],
        baseline: 'raw-sqlite',
        timeoutMs: 120_000,
      });
    }
  }
  const rebuildN = quick ? 20_000 : 1_000_000;
  groups.push({
    id: `rebuild events=${rebuildN}`,
    scenario: 'rebuild',
    params: { events: rebuildN },
    subjects: ['raw-iterate-parse', 'planflow-fold', 'planflow-open-verified'],
    baseline: 'raw-iterate-parse',
    timeoutMs: 300_000,
  });
  const burstN = quick ? 500 : 10_000;
  groups.push({
    id: `burst n=${burstN}`,
    scenario: 'burst',
    // The lead covers giving 10 000 occurrences their live actors at start (see Fire).
    params: { n: burstN, leadMs: quick ? 3_000 : 30_000 },
    subjects: ['planflow-sqlite-full', 'planflow-sqlite-normal'],
    baseline: undefined,
    timeoutMs: 180_000,
  });
  groups.push(...durableGroups(quick), ...fleetGroups(quick));
  const selected = only === undefined ? groups : groups.filter((g) => only.includes(g.scenario));
  return { mode, rounds: quick ? 1 : 3, groups: selected };
}
