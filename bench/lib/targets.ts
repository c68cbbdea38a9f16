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
