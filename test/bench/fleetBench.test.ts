import { beforeAll, describe, expect, it } from 'vitest';
import type { Metrics } from '../../bench/lib/job.js';
import { spawnJob } from '../../bench/lib/spawnJob.js';
import { type CaseRecord, summarize } from '../../bench/lib/summarize.js';
import { formatGroups } from '../../bench/lib/table.js';
import { checkTargets } from '../../bench/lib/targets.js';
import { buildPlan, DURABLE_SCENARIOS, FLEET_SCENARIOS } from '../../bench/plan.js';
import { describeSettings } from '../../bench/subjects/durableSettings.js';
import { requirePostgres } from '../helpers/pgSchemas.js';

const full = buildPlan('full', FLEET_SCENARIOS);
const groupOf = (id: string) => full.groups.find((g) => g.id === id)!;
const THROUGHPUT = 'fleet-throughput n=30000 tasks=300';

function record(groupId: string, subject: string, metrics: Metrics): CaseRecord {
  const group = groupOf(groupId);
  return {
    group: group.id,
    scenario: group.scenario,
    subject,
    params: group.params,
    round: 0,
    ok: true,
    metrics,
    notes: [],
    wallMs: 1,
    loadBefore: 0.5,
  };
}

describe('fleet benchmark (plan and targets)', () => {
  it('runs one instance against three on 30 000 occurrences over 300 tasks, and failover with a short and the default lease', () => {
    expect(FLEET_SCENARIOS).toEqual(['fleet-throughput', 'fleet-failover']);
    expect(DURABLE_SCENARIOS.some((s) => s.startsWith('fleet-'))).toBe(false);
    expect(full.groups.map((g) => g.id)).toEqual([
      THROUGHPUT,
      'fleet-failover lease=3000',
      'fleet-failover lease=15000',
    ]);
    expect(groupOf(THROUGHPUT)).toMatchObject({
      subjects: ['planflow-fleet-1', 'planflow-fleet-3'],
      baseline: 'planflow-fleet-1',
      params: { n: 30_000, tasks: 300 },
    });
    for (const lease of [3_000, 15_000]) {
      const group = groupOf(`fleet-failover lease=${lease}`);
      expect(group.subjects).toEqual(['planflow-fleet-3']);
      expect(group.params).toMatchObject({ tasks: 60, leaseTtlMs: lease, graceMs: 2_000 });
      expect(Number(group.params.kills)).toBeGreaterThanOrEqual(5);
    }
    const [, three] = describeSettings(['planflow-fleet-1', 'planflow-fleet-3']);
    expect(three).toContain('instances=3');
  });

  it('wants 10 000 triggers/s done of three instances, and failover within lease + grace + 1 s', () => {
    const records = [
      record(THROUGHPUT, 'planflow-fleet-1', { triggersPerSec: 1_500 }),
      record(THROUGHPUT, 'planflow-fleet-3', { triggersPerSec: 3_000 }),
      record('fleet-failover lease=3000', 'planflow-fleet-3', { failoverMaxMs: 6_500 }),
      record('fleet-failover lease=15000', 'planflow-fleet-3', { failoverMaxMs: 6_500 }),
    ];
    const groups = summarize(full.groups, records);
    const targets = checkTargets(groups);
    const target = (id: string) => targets.find((t) => t.id === id);
    expect(target('fleet-throughput-3')).toMatchObject({ value: 3_000, limit: 10_000, met: false });
    expect(target('fleet-failover-3000')).toMatchObject({ limit: 6_000, met: false });
    expect(target('fleet-failover-15000')).toMatchObject({ limit: 18_000, met: true });
    expect(target('fleet-failover-3000')?.description).toContain('leaseTtlMs 3000');
    // Three instances ÷ one: the scale-up is the ratio column.
    expect(groups[0]!.subjects.find((s) => s.subject === 'planflow-fleet-3')?.ratios).toMatchObject(
      { triggersPerSec: 2 },
    );
    expect(formatGroups(groups)).toContain('triggers/s done');
  });
});

describe('fleet benchmark (small real runs: three OS processes on one schema)', () => {
  beforeAll(requirePostgres);

  it('spreads 90 one-off occurrences over three instances and counts them done from the log', async () => {
    const outcome = await spawnJob(
      {
        scenario: 'fleet-throughput',
        subject: 'planflow-fleet-3',
        params: {
          n: 90,
          tasks: 30,
          windowMs: 100,
          leadMs: 6_000,
          leaseTtlMs: 15_000,
          graceMs: 30_000,
        },
      },
      { timeoutMs: 60_000, maxOldSpaceMb: 512, extraFlags: [] },
    );
    if (!outcome.ok) throw new Error(outcome.error);
    const { metrics, notes } = outcome.output;
    expect(notes).toEqual([]);
    const perInstance = ['i0', 'i1', 'i2'].map((id) => metrics[`triggers.${id}`]!);
    expect(perInstance.reduce((a, b) => a + b, 0)).toBe(90);
    for (const n of perInstance) expect(n).toBeGreaterThan(0);
    expect(metrics.failed).toBe(0);
    expect(metrics.triggersPerSec).toBeGreaterThan(0);
    expect(metrics.instancesCpuMs).toBeGreaterThan(0);
  }, 70_000);

  it('SIGKILLs one of three instances and times its tasks until a survivor triggers them', async () => {
    const outcome = await spawnJob(
      {
        scenario: 'fleet-failover',
        subject: 'planflow-fleet-3',
        params: { tasks: 12, kills: 1, leaseTtlMs: 3_000, graceMs: 2_000, workMs: 200 },
      },
      { timeoutMs: 90_000, maxOldSpaceMb: 512, extraFlags: [] },
    );
    if (!outcome.ok) throw new Error(outcome.error);
    const { metrics, notes } = outcome.output;
    // Every task the dead instance held was triggered by a survivor.
    expect(notes).toEqual([]);
    expect(metrics.kills).toBe(1);
    expect(metrics.tasksMoved).toBeGreaterThan(0);
    expect(metrics.failoverMaxMs).toBeGreaterThan(0);
    expect(metrics.failoverMaxMs).toBeGreaterThanOrEqual(metrics.failoverP50Ms!);
    expect(metrics).toMatchObject({ leaseTtlMs: 3_000, graceMs: 2_000 });
  }, 100_000);
});
