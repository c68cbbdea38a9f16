import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventLog } from '../../src/log/EventLog.js';
import type { StoredEvent } from '../../src/log/events.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import { inlineView, rebuiltView } from '../helpers/projectionViews.js';

const CHILD = join(import.meta.dirname, '..', 'fixtures', 'crashChild.ts');
const KILLS = 22;
const JOBS = 200;
const dir = mkdtempSync(join(tmpdir(), 'planflow-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Life = { child: ChildProcess; exit: Promise<number | null>; started: Promise<void> };

function start(path: string, init: boolean): Life {
  const args = ['--import', 'tsx', CHILD, path, ...(init ? ['init', String(JOBS)] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal === null) process.stderr.write(stderr);
      resolve(code);
    });
  });
  const started = new Promise<void>((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('started')) resolve();
    });
    void exit.then(() => resolve());
  });
  return { child, exit, started };
}

/** Resolves after `ms` of real time; the kill moments are what is random, not what is asserted. */
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('crash safety (SIGKILL at random moments)', () => {
  it(`loses no occurrence and never triggers one twice across ${KILLS} kills`, async () => {
    const path = join(dir, 'crash.db');
    expect(await start(path, true).exit).toBe(0);
    let current = start(path, false);
    let killed = 0;
    while (killed < KILLS) {
      // Kill at a random moment: while opening, or after start() while handlers run. A life
      // that finished its work first just exits 0; the next one still opens, recovers, checks.
      if (Math.random() < 0.8) await current.started;
      await wait(Math.floor(Math.random() * 250));
      if (current.child.exitCode === null && current.child.signalCode === null) {
        current.child.kill('SIGKILL');
        await current.exit;
        killed++;
      } else {
        expect(await current.exit).toBe(0);
      }
      current = start(path, false);
    }
    expect(await current.exit).toBe(0);

    const store = await sqliteStore({ path });
    const log = await EventLog.open(store);
    const events: StoredEvent[] = [];
    for await (const batch of store.read()) events.push(...batch);
    await expect(log.verify()).resolves.toMatchObject({ ok: true });

    const triggers = new Map<string, number>();
    for (const e of events) {
      if (e.type === 'occurrence.triggered') {
        triggers.set(e.data.occurrenceId, (triggers.get(e.data.occurrenceId) ?? 0) + 1);
      }
    }
    expect([...triggers.values()].every((n) => n === 1)).toBe(true);

    const model = log.model;
    expect(model.listTasks()).toHaveLength(JOBS);
    // Nothing is left waiting or running: every occurrence reached an end, per policy.
    expect(model.liveCount).toBe(0);
    const view = await inlineView(log.store);
    expect(view).toEqual(await rebuiltView(log.store));
    for (const task of model.listTasks()) {
      const runs = view.records
        .filter((r) => r.occurrence.taskId === task.id)
        .map((r) => r.execution);
      const last = runs[runs.length - 1]!;
      // Each job ends completed, or failed with its retries used up (flaky handler or crashes).
      if (last.state === 'done') continue;
      expect(last.state).toBe('failed');
      expect(last.attempt).toBe(task.retry.maxRetries);
    }
    // A run the crash interrupted was recorded as such and retried with the same key.
    const interrupted = events.filter(
      (e) => e.type === 'occurrence.failed' && e.data.interrupted === true,
    );
    expect(killed).toBeGreaterThanOrEqual(20);
    console.log(
      `crash test: ${killed} kills, ${interrupted.length} interrupted runs, ${events.length} entries`,
    );
    const keys = new Map<string, string>();
    for (const e of events) {
      if (e.type === 'occurrence.triggered') keys.set(e.data.occurrenceId, e.data.idempotencyKey);
    }
    for (const e of interrupted) {
      if (e.type !== 'occurrence.failed') continue;
      const retry = model.getExecution(e.data.occurrenceId)?.followUpId;
      if (retry !== undefined && keys.has(retry)) {
        expect(keys.get(retry)).toBe(keys.get(e.data.occurrenceId));
      }
    }
    await store.close();
  }, 240_000);
});
