import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/log/events.js';
import { postgresStore } from '../../src/postgres/index.js';
import { createScheduler } from '../../src/scheduler/createScheduler.js';
import { bundledChild } from '../helpers/bundledChild.js';
import { until } from '../helpers/fleetTime.js';
import { type LineChild, spawnLineChild } from '../helpers/lineChild.js';
import { ofType, readAll, triggeredTwice } from '../helpers/logQueries.js';
import { PG_URL, requirePostgres, sql, useTempSchemas } from '../helpers/pgSchemas.js';

// Issue 12, item 4: three OS processes run one schedule on one PostgreSQL schema while one of
// them at a time is killed with SIGKILL at random moments and restarted (as a new instance,
// the way a replica set replaces a pod). Every run's start and end go to a separate file, so
// what ran where is checked against what the log says. Real time runs here, as in a real
// fleet: the chaos is paced by the wall clock and the test waits for the fleet to drain; no
// assertion depends on how long anything took.

const FIXTURE = new URL('../fixtures/fleetChild.ts', import.meta.url).pathname;
const INSTANCES = 3;
const TASKS = 100;
const RUN_SECONDS = 40;
const KILLS = 24;
const LEASE_TTL_MS = 3000;
const MAX_RETRIES = 6;

beforeAll(requirePostgres);
const newSchema = useTempSchemas();
const dirs: string[] = [];
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

type Run = Readonly<{
  what: 'start' | 'end' | 'fail';
  instanceId: string;
  pid: number;
  occurrenceId: string;
  key: string;
  attempt: number;
  at: number;
}>;

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An RRULE instant, `20261202T130000Z`. */
const rruleTime = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/** One instance slot of the fleet: its current process, restarted as a new instance. */
type Slot = { id: string; run: LineChild; ready: boolean; generation: number };

describe('a fleet of three processes under SIGKILL (issue 12, item 4)', () => {
  it('runs every occurrence once, retries every interrupted run on a survivor, and never runs one key twice at once', async () => {
    const schema = newSchema();
    const dir = mkdtempSync(join(tmpdir(), 'planflow-fleet-'));
    dirs.push(dir);
    const runLog = join(dir, 'runs.jsonl');
    const CHILD = bundledChild(FIXTURE);
    writeFileSync(runLog, '');

    // The schedule, defined by a scheduler that never starts (it records only the tasks).
    const setupStore = await postgresStore({ connectionString: PG_URL, schema });
    const setup = createScheduler({
      store: setupStore,
      handlers: { steady: () => undefined, flaky: () => undefined },
    });
    const startMs = Math.ceil((Date.now() + 8000) / 1000) * 1000;
    const endMs = startMs + RUN_SECONDS * 1000;
    for (let i = 0; i < TASKS; i++) {
      await setup.defineTask({
        id: `t${i}`,
        title: `task ${i}`,
        handler: i % 3 === 0 ? 'flaky' : 'steady',
        calendar: 'ignore',
        retry: { maxRetries: MAX_RETRIES, delayMs: 200 },
        recurrence: {
          rrule: `DTSTART:${rruleTime(startMs)}\nRRULE:FREQ=SECONDLY;INTERVAL=2;UNTIL=${rruleTime(endMs)}`,
        },
      });
    }
    await setup.stop();
    await setupStore.close();

    const killedAt = new Map<number, number>();
    const spawnSlot = (slot: number, generation: number): Slot => {
      const id = `n${slot}-g${generation}`;
      const entry: Slot = { id, ready: false, generation, run: undefined as never };
      entry.run = spawnLineChild(
        CHILD,
        [PG_URL, schema, id, runLog, String(LEASE_TTL_MS)],
        (line) => {
          if (line === 'ready') entry.ready = true;
        },
      );
      children.add(entry.run.child);
      return entry;
    };
    const slots = Array.from({ length: INSTANCES }, (_, i) => spawnSlot(i, 0));

    // Chaos: until the schedule ends, every 0.4–1 s one instance — running, or still starting
    // (a process can die at any moment) — is killed and replaced by a new one, so long as
    // another one is running.
    let kills = 0;
    await wait(Math.max(0, startMs - Date.now()));
    while (kills < KILLS && Date.now() < endMs - 1000) {
      await wait(400 + Math.random() * 600);
      const victim = slots[Math.floor(Math.random() * slots.length)]!;
      if (!slots.some((s) => s !== victim && s.ready)) continue;
      const index = slots.indexOf(victim);
      const pid = victim.run.child.pid!;
      killedAt.set(pid, Date.now());
      victim.run.child.kill('SIGKILL');
      await victim.run.exit;
      children.delete(victim.run.child);
      kills++;
      slots[index] = spawnSlot(index, victim.generation + 1);
    }
    expect(kills).toBeGreaterThanOrEqual(20);

    // The schedule ended: the fleet drains every occurrence (retries included), then stops.
    await until(
      'no occurrence is live any more',
      async () => {
        if (Date.now() < endMs + 1000) return false;
        const [row] = await sql<{ n: string }>(
          `SELECT count(*) AS n FROM "${schema}".occurrences WHERE live`,
        );
        return row !== undefined && Number(row.n) === 0;
      },
      { timeoutMs: 60_000, everyMs: 50 },
    );
    for (const slot of slots) slot.run.child.kill('SIGTERM');
    await Promise.all(slots.map((s) => s.run.exit));
    for (const slot of slots) children.delete(slot.run.child);
    const stoppedAt = Date.now();

    const reader = await postgresStore({ connectionString: PG_URL, schema, readOnly: true });
    let events: StoredEvent[];
    try {
      events = await readAll(reader);
      expect(await reader.verify({ full: true })).toMatchObject({ ok: true });
    } finally {
      await reader.close();
    }
    const runs = readFileSync(runLog, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Run);

    // ≥ 1 000 occurrences, each triggered at most once.
    const scheduled = ofType(events, 'occurrence.scheduled');
    expect(scheduled.length).toBeGreaterThanOrEqual(1000);
    expect(triggeredTwice(events)).toEqual([]);

    // Every run the handlers saw was triggered first, by the instance that ran it.
    const triggers = new Map(
      ofType(events, 'occurrence.triggered').map((e) => [e.data.occurrenceId, e.data]),
    );
    const starts = runs.filter((r) => r.what === 'start');
    const untriggered = starts.filter(
      (r) =>
        triggers.get(r.occurrenceId)?.instanceId !== r.instanceId ||
        triggers.get(r.occurrenceId)?.idempotencyKey !== r.key,
    );
    expect(untriggered).toEqual([]);

    // Nothing lost: every occurrence ended (the drain above), and each ending is recorded once.
    const endings = new Map<string, number>();
    for (const e of events) {
      if (e.type === 'occurrence.completed' || e.type === 'occurrence.failed') {
        endings.set(e.data.occurrenceId, (endings.get(e.data.occurrenceId) ?? 0) + 1);
      }
    }
    expect([...endings.values()].filter((n) => n > 1)).toEqual([]);
    expect(ofType(events, 'occurrence.missed')).toEqual([]);

    // Every interrupted run was recorded by a survivor, naming the dead instance, and retried
    // there with the same key.
    const retriedBy = new Map(
      ofType(events, 'occurrence.retried').map((e) => [e.data.occurrenceId, e.data.retryId]),
    );
    const interrupted = ofType(events, 'occurrence.failed').filter(
      (e) => e.data.error.name === 'InterruptedError',
    );
    expect(interrupted.length).toBeGreaterThan(0);
    for (const failure of interrupted) {
      const trigger = triggers.get(failure.data.occurrenceId)!;
      expect(failure.data.error.message).toContain(`instance "${trigger.instanceId}"`);
      if (trigger.attempt >= MAX_RETRIES) continue;
      const retryId = retriedBy.get(failure.data.occurrenceId);
      expect(retryId, `retry of ${failure.data.occurrenceId}`).toBeDefined();
      const retry = triggers.get(retryId!);
      expect(retry?.idempotencyKey).toBe(trigger.idempotencyKey);
      expect(retry?.instanceId).not.toBe(trigger.instanceId);
    }

    // No key ran in two processes at once while both lived: a run lasts from its start line
    // to its end line, or to its process's death.
    const open = new Map<string, Run>();
    const spans: { key: string; pid: number; from: number; to: number }[] = [];
    for (const r of runs) {
      const id = `${r.pid}:${r.occurrenceId}`;
      if (r.what === 'start') open.set(id, r);
      else {
        const start = open.get(id);
        open.delete(id);
        if (start !== undefined) spans.push({ key: r.key, pid: r.pid, from: start.at, to: r.at });
      }
    }
    for (const start of open.values()) {
      spans.push({
        key: start.key,
        pid: start.pid,
        from: start.at,
        to: killedAt.get(start.pid) ?? stoppedAt,
      });
    }
    const byKey = new Map<string, typeof spans>();
    for (const span of spans) byKey.set(span.key, [...(byKey.get(span.key) ?? []), span]);
    const overlaps: string[] = [];
    for (const [key, list] of byKey) {
      for (const a of list) {
        for (const b of list) {
          if (a.pid < b.pid && a.from < b.to && b.from < a.to) overlaps.push(key);
        }
      }
    }
    expect(overlaps).toEqual([]);
  }, 180_000);
});
