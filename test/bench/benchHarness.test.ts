import { describe, expect, it } from 'vitest';
import { median, percentileOfSorted } from '../../bench/lib/stats.js';
import { type CaseRecord, summarize } from '../../bench/lib/summarize.js';
import { formatGroups, formatTargets } from '../../bench/lib/table.js';
import { checkTargets } from '../../bench/lib/targets.js';
import { buildPlan } from '../../bench/plan.js';

const group = buildPlan('full', ['arm']).groups.find((g) => g.id === 'arm n=100000 shuffled')!;

function record(subject: string, round: number, usPerOcc: number, heap: number): CaseRecord {
  return {
    group: group.id,
    scenario: 'arm',
    subject,
    params: group.params,
    round,
    ok: true,
    metrics: { usPerOcc, heapBytesPerPending: heap, heapUsedMB: 50 },
    notes: [],
    wallMs: 1,
    loadBefore: 0.5,
  };
}

describe('benchmark harness', () => {
  it('plans every scenario, each subject with at least 3 rounds in a full run', () => {
    const plan = buildPlan('full');
    expect(plan.rounds).toBeGreaterThanOrEqual(3);
    expect(new Set(plan.groups.map((g) => g.scenario))).toEqual(
      new Set([
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
      ]),
    );
    for (const g of plan.groups) {
      if (g.baseline !== undefined) expect(g.subjects).toContain(g.baseline);
    }
    expect(buildPlan('quick').rounds).toBe(1);
  });

  it('takes medians across rounds and ratios against the baseline median', () => {
    const records = [
      record('setTimeout', 0, 2, 400),
      record('setTimeout', 1, 4, 500),
      record('setTimeout', 2, 3, 450),
      record('planflow', 0, 9, 900),
      record('planflow', 1, 12, 1000),
      record('planflow', 2, 6, 1100),
    ];
    const [summary] = summarize([group], records);
    const planflow = summary!.subjects.find((s) => s.subject === 'planflow')!;
    expect(planflow.rounds).toBe(3);
    expect(planflow.medians.usPerOcc).toBe(9);
    expect(planflow.ratios.usPerOcc).toBe(3);
    expect(planflow.spread.usPerOcc).toBeCloseTo(6 / 9);
    const targets = checkTargets([summary!]);
    expect(targets.find((t) => t.id === 'arm-100k-shuffled-time')).toMatchObject({
      value: 3,
      met: true,
    });
    expect(targets.find((t) => t.id === 'arm-100k-shuffled-heap')).toMatchObject({
      value: 1000,
      met: true,
    });
    expect(targets.find((t) => t.id === 'rebuild')?.met).toBeUndefined();
    expect(formatGroups([summary!])).toMatch(/planflow\s+9\.00\s+3\.00×/);
    expect(formatTargets(targets)).toMatch(/met\s+Arm 100k \(shuffled\): PlanFlow time/);
  });

  it('pairs each round with the baseline run of the same round for ratios', () => {
    // Round 2 ran under heavy load for both: paired ratios are 2, 2, 3 (median 2), while the
    // ratio of the medians (9 / 3) would blame PlanFlow for the noise.
    const records = [
      record('setTimeout', 0, 2, 400),
      record('setTimeout', 1, 10, 400),
      record('setTimeout', 2, 3, 400),
      record('planflow', 0, 4, 800),
      record('planflow', 1, 20, 800),
      record('planflow', 2, 9, 800),
    ];
    const [summary] = summarize([group], records);
    const planflow = summary!.subjects.find((s) => s.subject === 'planflow')!;
    expect(planflow.medians.usPerOcc).toBe(9);
    expect(planflow.ratios.usPerOcc).toBe(2);
    expect(planflow.ratios.heapBytesPerPending).toBe(2);
  });

  it('reports a subject that never finished instead of dropping it', () => {
    const failed: CaseRecord = {
      ...record('node-schedule', 0, 0, 0),
      ok: false,
      metrics: {},
      error: 'did not finish within 120 s',
    };
    const [summary] = summarize([group], [record('setTimeout', 0, 3, 450), failed]);
    const row = summary!.subjects.find((s) => s.subject === 'node-schedule')!;
    expect(row.rounds).toBe(0);
    expect(formatGroups([summary!])).toContain('NOT FINISHED: did not finish within 120 s');
  });

  it('uses nearest-rank percentiles and ignores non-finite samples in medians', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentileOfSorted(sorted, 99)).toBe(99);
    expect(percentileOfSorted(sorted, 50)).toBe(50);
    expect(median([3, Number.NaN, 1, 2])).toBe(2);
  });
});
