import { FAILOVER_GRACE_MS, FAILOVER_LEASES } from '../plan.js';
import type { GroupSummary } from './summarize.js';

/** One of the targets, checked against this run's medians. */
export type TargetCheck = Readonly<{
  id: string;
  description: string;
  /** The measured figure (a ratio, bytes or MB); undefined when the run did not measure it. */
  value: number | undefined;
  limit: number;
  comparison: '<=' | '>=';
  /** undefined when not measured (quick mode, a subject failed, a scenario was skipped). */
  met: boolean | undefined;
}>;

type Pick = (groups: readonly GroupSummary[]) => number | undefined;

function metricOf(groupId: string, subject: string, metric: string, ratio: boolean): Pick {
  return (groups) => {
    const summary = groups
      .find((g) => g.id === groupId)
      ?.subjects.find((s) => s.subject === subject);
    if (summary === undefined || summary.rounds === 0) return undefined;
    return ratio ? summary.ratios[metric] : summary.medians[metric];
  };
}

/**
 * `subject ÷ other` for one metric of one group, as the ratio of their medians: for targets
 * against a subject that is not the group's baseline (the baseline's ratios pair rounds).
 */
function ratioBetween(groupId: string, subject: string, other: string, metric: string): Pick {
  return (groups) => {
    const group = groups.find((g) => g.id === groupId);
    const of = (name: string) => {
      const summary = group?.subjects.find((s) => s.subject === name);
      return summary === undefined || summary.rounds === 0 ? undefined : summary.medians[metric];
    };
    const a = of(subject);
    const b = of(other);
    return a === undefined || b === undefined || b === 0 ? undefined : a / b;
  };
}

type Spec = Readonly<{
  id: string;
  description: string;
  pick: Pick;
  limit: number;
  comparison: '<=' | '>=';
}>;

/** The two ways the Arm targets are checked: the same scheduler, two uses of its API. */
const ARM_APIS = [
  { subject: 'planflow', suffix: '', api: 'one awaited scheduleOccurrence() each' },
  {
    subject: 'planflow-batch',
    suffix: '-batch',
    api: 'scheduleOccurrences() per 1 000',
  },
] as const;

/** The durable peers PlanFlow's Fire lateness on SQLite is reported against. */
const FIRE_PEERS = ['pg-boss', 'graphile-worker', 'bullmq'] as const;

/** Targets of the fleet scenarios: throughput of three instances, failover within lease + grace + 1 s. */
function FLEET_SPECS(): Spec[] {
  return [
    {
      id: 'fleet-throughput-3',
      description:
        'Fleet 30k one-off occurrences over 300 tasks, 3 instances on one PostgreSQL schema: triggers per second recorded done',
      pick: metricOf(
        'fleet-throughput n=30000 tasks=300',
        'planflow-fleet-3',
        'triggersPerSec',
        false,
      ),
      limit: 10_000,
      comparison: '>=',
    },
    ...FAILOVER_LEASES.map(
      (leaseTtlMs): Spec => ({
        id: `fleet-failover-${leaseTtlMs}`,
        description: `Failover, 3 instances, one SIGKILLed 6 times: longest kill-to-first-trigger by a survivor of a dead instance's task, ms (≤ leaseTtlMs ${leaseTtlMs} + graceMs ${FAILOVER_GRACE_MS} + 1 000)`,
        pick: metricOf(
          `fleet-failover lease=${leaseTtlMs}`,
          'planflow-fleet-3',
          'failoverMaxMs',
          false,
        ),
        limit: leaseTtlMs + FAILOVER_GRACE_MS + 1_000,
        comparison: '<=',
      }),
    ),
  ];
}

/** Targets of the durable scenarios (full size only; quick runs leave them unmeasured). */
function DURABLE_SPECS(): Spec[] {
  return [
    {
      id: 'durable-restart',
      description:
        'Restart, 100k pending: PlanFlow (SQLite) time from spawn to started ÷ pg-boss to worker ready',
      pick: metricOf('durable-restart n=100000', 'planflow-sqlite', 'readyMs', true),
      limit: 2,
      comparison: '<=',
    },
    {
      id: 'durable-burst-floor',
      description:
        'Burst 10k at one instant, SQLite FULL: PlanFlow all recorded done ÷ raw better-sqlite3 floor',
      pick: metricOf('durable-burst n=10000', 'planflow-sqlite', 'allDoneMs', true),
      limit: 2,
      comparison: '<=',
    },
    {
      id: 'durable-burst-pg-boss',
      description: 'Burst 10k at one instant: PlanFlow (SQLite FULL) all recorded done ÷ pg-boss',
      pick: ratioBetween('durable-burst n=10000', 'planflow-sqlite', 'pg-boss', 'allDoneMs'),
      limit: 1.5,
      comparison: '<=',
    },
    {
      id: 'durable-fire-p99-absolute',
      description:
        'Fire 10k over 10 s: PlanFlow (SQLite FULL) p99 lateness, ms (the first measurement of the log issue)',
      pick: metricOf('durable-fire n=10000', 'planflow-sqlite', 'p99Ms', false),
      limit: 11.5,
      comparison: '<=',
    },
    ...FIRE_PEERS.map(
      (peer): Spec => ({
        id: `durable-fire-p99-${peer}`,
        description: `Fire 10k over 10 s: PlanFlow (SQLite FULL) p99 lateness ÷ ${peer} p99 (no later than the peer)`,
        pick: ratioBetween('durable-fire n=10000', 'planflow-sqlite', peer, 'p99Ms'),
        limit: 1,
        comparison: '<=',
      }),
    ),
    {
      id: 'durable-burst-postgres-pg-boss',
      description: 'Burst 10k at one instant: PlanFlow (PostgreSQL) all recorded done ÷ pg-boss',
      pick: ratioBetween('durable-burst n=10000', 'planflow-postgres', 'pg-boss', 'allDoneMs'),
      limit: 1.5,
      comparison: '<=',
    },
    {
      id: 'durable-fire-p99-postgres-bullmq',
      description:
        "Fire 10k over 10 s: PlanFlow (PostgreSQL) p99 lateness ÷ bullmq p99 (no later than BullMQ's)",
      pick: ratioBetween('durable-fire n=10000', 'planflow-postgres', 'bullmq', 'p99Ms'),
      limit: 1,
      comparison: '<=',
    },
    {
      id: 'soak-heap-flat',
      description:
        'Soak, 100 tasks every 10 min for 14 simulated days on SQLite: heap after GC, largest change from day 3, %',
      pick: metricOf('soak tasks=100 days=14', 'planflow-sqlite', 'heapDriftPct', false),
      limit: 10,
      comparison: '<=',
    },
    {
      id: 'durable-arm-heap',
      description: 'Arm 100k on SQLite FULL: PlanFlow heap bytes per pending occurrence',
      pick: metricOf('durable-arm n=100000', 'planflow-sqlite', 'heapBytesPerJob', false),
      limit: 400,
      comparison: '<=',
    },
  ];
}

const SPECS: readonly Spec[] = [
  ...(['ascending', 'shuffled'] as const).flatMap((order): Spec[] =>
    ARM_APIS.flatMap(({ subject, suffix, api }): Spec[] => [
      {
        id: `arm-100k-${order}-time${suffix}`,
        description: `Arm 100k (${order}): PlanFlow time per occurrence ÷ plain setTimeout, ${api}`,
        pick: metricOf(`arm n=100000 ${order}`, subject, 'usPerOcc', true),
        limit: 3,
        comparison: '<=',
      },
      {
        id: `arm-100k-${order}-heap${suffix}`,
        description: `Arm 100k (${order}): PlanFlow heap bytes per pending occurrence, ${api}`,
        pick: metricOf(`arm n=100000 ${order}`, subject, 'heapBytesPerPending', false),
        limit: 1024,
        comparison: '<=',
      },
    ]),
  ),
  {
    id: 'arm-1m-shuffled-heap',
    description: 'Arm 1M (shuffled): PlanFlow heap in use with 1 000 000 pending, MB',
    pick: metricOf('arm n=1000000 shuffled', 'planflow', 'heapUsedMB', false),
    limit: 1536,
    comparison: '<=',
  },
  {
    id: 'fire-p99',
    description: 'Fire 10k over 5 s: PlanFlow (memory store) p99 lateness ÷ plain setTimeout p99',
    pick: metricOf('fire n=10000', 'planflow', 'p99Ms', true),
    limit: 2,
    comparison: '<=',
  },
  ...(['NORMAL', 'FULL'] as const).flatMap((sync) =>
    (['batch', 'group'] as const).map(
      (mode): Spec => ({
        id: `append-${sync.toLowerCase()}-${mode}`,
        description: `Append (${sync}, ${mode === 'batch' ? '1 000 events per call' : '1 000 one-event calls per turn'}): PlanFlow SQLite rate ÷ raw batched insert`,
        pick: metricOf(`append ${sync} ${mode}`, 'planflow-sqlite', 'eventsPerSec', true),
        limit: 0.5,
        comparison: '>=',
      }),
    ),
  ),
  {
    id: 'rebuild',
    description: 'Rebuild 1M events: PlanFlow fold rate ÷ raw iterate() + JSON.parse',
    pick: metricOf('rebuild events=1000000', 'planflow-fold', 'eventsPerSec', true),
    limit: 0.6,
    comparison: '>=',
  },
  ...DURABLE_SPECS(),
  ...FLEET_SPECS(),
];

/** Checks every target the run measured; the rest are listed as not measured. */
export function checkTargets(groups: readonly GroupSummary[]): TargetCheck[] {
  return SPECS.map((spec) => {
    const value = spec.pick(groups);
    const met =
      value === undefined || !Number.isFinite(value)
        ? undefined
        : spec.comparison === '<='
          ? value <= spec.limit
          : value >= spec.limit;
    return {
      id: spec.id,
      description: spec.description,
      value,
      limit: spec.limit,
      comparison: spec.comparison,
      met,
    };
  });
}
