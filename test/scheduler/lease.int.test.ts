import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler } from '../../src/scheduler/createScheduler.js';
import type { Handlers } from '../../src/scheduler/handlers.js';
import type { SmartScheduler } from '../../src/scheduler/SmartScheduler.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import type { SqliteStore } from '../../src/sqlite/sqliteStore.js';
import { spawnLineChild } from '../helpers/lineChild.js';
import { ofType, readAll } from '../helpers/logQueries.js';

// Schedulers in separate OS processes on one SQLite file: the lease is what keeps the second
// one out, and what lets a newcomer take over at once from a holder that was killed.

const CHILD = new URL('../fixtures/leaseChild.ts', import.meta.url).pathname;

const dirs: string[] = [];
const open: { schedulers: SmartScheduler[]; stores: SqliteStore[] } = {
  schedulers: [],
  stores: [],
};
afterEach(async () => {
  for (const s of open.schedulers.splice(0)) if (s.status !== 'stopped') await s.stop();
  for (const store of open.stores.splice(0)) await store.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function newPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'planflow-lease-int-'));
  dirs.push(dir);
  return join(dir, 'log.db');
}

async function schedulerOn(path: string, id: string, leaseTtlMs?: number) {
  const store = await sqliteStore({ path });
  open.stores.push(store);
  const scheduler = createScheduler<Handlers>({
    store,
    idGenerator: () => id,
    handlers: { stuck: () => undefined },
    ...(leaseTtlMs === undefined ? {} : { leaseTtlMs }),
  });
  open.schedulers.push(scheduler);
  await scheduler.ready;
  return { store, scheduler };
}

describe('one running scheduler per SQLite file, across processes (issue 12, item 3)', () => {
  it('refuses a scheduler in a second OS process, naming the holder', async () => {
    const path = newPath();
    // On the real clock (the other process compares with its own); a TTL far longer than the
    // child's start-up, so only the pid and the renewal decide.
    const { scheduler } = await schedulerOn(path, 'parent-holder', 600_000);
    await scheduler.start();
    const { exit } = spawnLineChild(CHILD, [path, 'try'], () => {});
    const lines = await exit;
    const refusal = lines.find((l) => l.startsWith('refused '));
    expect(refusal).toBeDefined();
    expect(refusal).toContain('refused planflow:log-held ');
    expect(refusal).toContain('instance "parent-holder"');
    expect(refusal).toContain(`pid ${process.pid} on host "${hostname()}"`);
    expect(refusal).toContain('planflow/postgres');
    expect(lines).not.toContain('started');
  });

  it('takes over at once from a holder that was SIGKILLed, and records its interrupted run exactly once', async () => {
    const path = newPath();
    let childPid = 0;
    const { exit } = spawnLineChild(
      CHILD,
      [path, 'hold'],
      (line, child) => {
        if (!line.startsWith('running ')) return;
        childPid = Number(line.slice('running '.length));
        child.kill('SIGKILL');
      },
      { mustBeKilled: true },
    );
    await exit;
    const { store, scheduler } = await schedulerOn(path, 'survivor');
    // The dead holder's lease has not lapsed: only its missing pid lets the survivor in.
    const [dead] = await store.leases!.list();
    expect(dead).toMatchObject({
      instanceId: `child-${childPid}`,
      pid: childPid,
      host: hostname(),
    });
    expect(dead!.expiresAtMs).toBeGreaterThan(Date.now());
    await scheduler.start();
    expect((await store.leases!.list()).map((l) => l.instanceId)).toEqual(['survivor']);
    await scheduler.stop();

    // A second start on the file (a later process) finds nothing more to recover.
    const later = await schedulerOn(path, 'later');
    await later.scheduler.start();
    await later.scheduler.stop();
    const events = await readAll(later.store);
    const interrupted = ofType(events, 'occurrence.failed').filter((e) => e.data.interrupted);
    expect(interrupted).toHaveLength(1);
    expect(ofType(events, 'occurrence.triggered')).toHaveLength(1);
    const retries = ofType(events, 'occurrence.scheduled').filter(
      (e) => e.data.occurrence.cause === 'retry',
    );
    expect(retries).toHaveLength(1);
    expect(await later.store.verify()).toMatchObject({ ok: true });
  });

  it('gives exactly one of two processes racing for a free file the lease', async () => {
    const path = newPath();
    // Create the file first, so both children race for the lease, not for the schema.
    await (await sqliteStore({ path })).close();
    const answers: string[] = [];
    const children: import('node:child_process').ChildProcess[] = [];
    const onLine = (line: string) => {
      if (line !== 'started' && !line.startsWith('refused ')) return;
      answers.push(line);
      // Both answered: the winner still holds the lease; end it.
      if (answers.length === 2) for (const child of children) child.kill('SIGKILL');
    };
    const a = spawnLineChild(CHILD, [path, 'race'], onLine);
    const b = spawnLineChild(CHILD, [path, 'race'], onLine);
    children.push(a.child, b.child);
    await Promise.all([a.exit, b.exit]);
    expect(answers.filter((l) => l === 'started')).toHaveLength(1);
    const [refusal] = answers.filter((l) => l.startsWith('refused '));
    expect(refusal).toMatch(/^refused planflow:log-held .*instance "child-\d+" \(pid \d+/);
  });
});
