import { describe, expect, it } from 'vitest';
import { unavailableSubjects } from '../../bench/lib/durableServers.js';
import type { Metrics } from '../../bench/lib/job.js';
import { spawnJob } from '../../bench/lib/spawnJob.js';
import { type CaseRecord, summarize } from '../../bench/lib/summarize.js';
import { formatGroups } from '../../bench/lib/table.js';
import { checkTargets } from '../../bench/lib/targets.js';
import { buildPlan, DURABLE_SCENARIOS } from '../../bench/plan.js';
import { describeSettings } from '../../bench/subjects/durableSettings.js';

const full = buildPlan('full', DURABLE_SCENARIOS);
const groupOf = (id: string) => full.groups.find((g) => g.id === id)!;

function record(groupId: string, subject: string, metrics: Metrics, round = 0): CaseRecord {
  const group = groupOf(groupId);
  return {
    group: group.id,
    scenario: group.scenario,
    subject,
    params: group.params,
    round,
    ok: true,
    metrics,
    notes: [],
    wallMs: 1,
    loadBefore: 0.5,
  };
}

describe('durable benchmark', () => {
  it('compares PlanFlow on SQLite and on PostgreSQL with every durable peer in each durable scenario', () => {
    const peers = ['pg-boss', 'graphile-worker', 'bullmq'];
    for (const scenario of ['durable-fire', 'durable-burst', 'durable-arm', 'durable-restart']) {
      const group = full.groups.find((g) => g.scenario === scenario)!;
      expect(group.subjects).toEqual(
        expect.arrayContaining(['planflow-sqlite', 'planflow-postgres', ...peers]),
      );
    }
    expect(groupOf('durable-burst n=10000').baseline).toBe('raw-sqlite-floor');
    expect(groupOf('soak tasks=100 days=14')).toMatchObject({ maxRounds: 1 });
  });

  it('checks Burst against the raw floor and pg-boss, and Restart against pg-boss', () => {
    const burst = 'durable-burst n=10000';
    const restart = 'durable-restart n=100000';
    const records = [
      record(burst, 'raw-sqlite-floor', { allDoneMs: 100 }),
      record(burst, 'planflow-sqlite', { allDoneMs: 300 }),
      record(burst, 'pg-boss', { allDoneMs: 250 }),
      record(restart, 'pg-boss', { readyMs: 400 }),
      record(restart, 'planflow-sqlite', { readyMs: 700 }),
    ];
    const targets = checkTargets(summarize([groupOf(burst), groupOf(restart)], records));
    const target = (id: string) => targets.find((t) => t.id === id);
    expect(target('durable-burst-floor')).toMatchObject({ value: 3, met: false });
    expect(target('durable-burst-pg-boss')).toMatchObject({ value: 1.2, met: true });
    expect(target('durable-restart')).toMatchObject({ value: 1.75, met: true });
    expect(target('soak-heap-flat')?.met).toBeUndefined();
  });

  it('checks PlanFlow on PostgreSQL against pg-boss in Burst and against BullMQ in Fire', () => {
    const burst = 'durable-burst n=10000';
    const fire = 'durable-fire n=10000';
    const records = [
      record(burst, 'raw-sqlite-floor', { allDoneMs: 100 }),
      record(burst, 'planflow-postgres', { allDoneMs: 800 }),
      record(burst, 'pg-boss', { allDoneMs: 500 }),
      record(fire, 'setTimeout', { p99Ms: 1 }),
      record(fire, 'planflow-postgres', { p99Ms: 90 }),
      record(fire, 'bullmq', { p99Ms: 120 }),
    ];
    const targets = checkTargets(summarize([groupOf(burst), groupOf(fire)], records));
    const target = (id: string) => targets.find((t) => t.id === id);
    expect(target('durable-burst-postgres-pg-boss')).toMatchObject({ value: 1.6, met: false });
    expect(target('durable-fire-p99-postgres-bullmq')).toMatchObject({ value: 0.75, met: true });
    // The SQLite targets are not measured by these records.
    expect(target('durable-burst-pg-boss')?.met).toBeUndefined();
  });

  it('prints the PostgreSQL store settings and skips it when PostgreSQL does not answer', () => {
    const [line] = describeSettings(['planflow-postgres']);
    expect(line).toContain('planflow-postgres');
    expect(line).toContain('store=postgresStore defaults');
    expect(line).toContain('maxConnections=4');
    const reason = 'PostgreSQL at 127.0.0.1:5432/test not reachable: connect ECONNREFUSED';
    const skipped = unavailableSubjects(
      ['planflow-sqlite', 'planflow-postgres'],
      new Map([['postgres', { ok: false, reason }]] as const),
    );
    expect([...skipped]).toEqual([['planflow-postgres', reason]]);
  });

  it('skips a peer whose server did not answer, with the reason, instead of dropping it', () => {
    const reason = 'Redis at 127.0.0.1:6379/ not reachable: connect ECONNREFUSED';
    const skipped = unavailableSubjects(
      ['planflow-sqlite', 'pg-boss', 'bullmq'],
      new Map([
        ['postgres', { ok: true, description: 'PostgreSQL 15' }],
        ['redis', { ok: false, reason }],
      ] as const),
    );
    expect([...skipped]).toEqual([['bullmq', reason]]);
    const group = groupOf('durable-arm n=100000');
    const failed: CaseRecord = {
      ...record(group.id, 'bullmq', {}),
      ok: false,
      error: `skipped: ${reason}`,
    };
    expect(formatGroups(summarize([group], [failed]))).toContain(`SKIPPED: ${reason}`);
  });

  it('runs the quick soak in a child: a heap and a file size per simulated day, then a reopen', async () => {
    const soak = buildPlan('quick', ['soak']).groups[0]!;
    const outcome = await spawnJob(
      { scenario: 'soak', subject: 'planflow-sqlite', params: soak.params },
      { timeoutMs: 25_000, maxOldSpaceMb: 512, extraFlags: [] },
    );
    if (!outcome.ok) throw new Error(outcome.error);
    const { metrics, notes } = outcome.output;
    const days = Number(soak.params.days);
    const perDay = Object.keys(metrics).filter((k) => k.startsWith('heapMB.day'));
    expect(perDay).toHaveLength(days);
    // Every task runs every 10 minutes from its first run (a minute in, the tasks' first runs
    // spread over one interval) up to the end of the last day, and none is lost.
    const tasks = Number(soak.params.tasks);
    const every = Number(soak.params.everyMs);
    let expected = 0;
    for (let i = 0; i < tasks; i++) {
      for (let t = 60_000 + Math.floor((i * every) / tasks); t <= days * 86_400_000; t += every) {
        expected++;
      }
    }
    expect(metrics.runs).toBe(expected);
    expect(notes).toEqual([]);
    expect(metrics.fileLastMB).toBeGreaterThan(metrics['fileMB.day01']!);
    expect(metrics.heapDriftPct).toBeGreaterThanOrEqual(0);
    expect(metrics.reopenReadyMs).toBeGreaterThan(0);
    expect(metrics.reopenStartMs).toBeGreaterThanOrEqual(metrics.reopenReadyMs!);
  }, 30_000);
});
