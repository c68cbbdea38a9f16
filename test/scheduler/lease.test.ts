import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DegradedError, LogHeldError } from '../../src/domain/errors.js';
import type { EventStore } from '../../src/log/EventStore.js';
import type { InstanceLeases } from '../../src/log/InstanceLeases.js';
import { memoryStore } from '../../src/log/memoryStore.js';
import { createScheduler } from '../../src/scheduler/createScheduler.js';
import type { Handlers } from '../../src/scheduler/handlers.js';
import type { SmartScheduler } from '../../src/scheduler/SmartScheduler.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import type { SqliteStore } from '../../src/sqlite/sqliteStore.js';
import { TestClock } from '../../src/testing/TestClock.js';
import { forwardStore } from '../helpers/forwardStore.js';
import {
  deferred,
  type HarnessOptions,
  harness,
  MINUTE,
  oneShot,
  SECOND,
  T0,
  useHarnesses,
} from '../helpers/harness.js';
import { ofType, readAll } from '../helpers/logQueries.js';
import { rejection as optionRejection } from '../helpers/rejection.js';

const dirs: string[] = [];
const stores: EventStore[] = [];
// Registered first, so it runs after the schedulers were stopped.
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const { setUp, track } = useHarnesses();

/** A fresh SQLite file path. */
function newPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'planflow-lease-'));
  dirs.push(dir);
  return join(dir, 'log.db');
}

/** A store on `path` (its own connection, as another process would have), closed after the test. */
async function openFile(path: string, clock: TestClock): Promise<SqliteStore> {
  const store = await sqliteStore({ path, clock, synchronous: 'NORMAL' });
  stores.push(store);
  return store;
}

const rejectionOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

/** A scheduler named `id` (its instance id) on `store`, stopped after the test. */
/**
 * `inner` with leases that refuse every write while failing (`fail(true)`), as a full disk
 * would; `leases` are the inner store's own.
 */
function withFlakyLeases(inner: EventStore) {
  const leases = inner.leases!;
  let failing = false;
  const fault = () => Promise.reject(new Error('disk I/O error'));
  const flaky: InstanceLeases = {
    shared: false,
    acquire: (request) => (failing ? fault() : leases.acquire(request)),
    list: () => leases.list(),
    release: (id) => leases.release(id),
    renew: (id, nowMs, ttlMs) => (failing ? fault() : leases.renew(id, nowMs, ttlMs)),
  };
  const store: EventStore = { ...forwardStore(inner), leases: flaky };
  return {
    store,
    leases,
    fail: (on: boolean) => {
      failing = on;
    },
  };
}

function named(id: string, store: EventStore, clock: TestClock, options: HarnessOptions = {}) {
  return setUp({ ...options, store, clock, idGenerator: () => id });
}

describe('one running scheduler per log (issue 12, item 3)', () => {
  it('refuses the second scheduler on one SQLite file, so the first one’s running handler is never recorded interrupted', async () => {
    // The contradiction: B's start recorded A's in-flight run as failed (interrupted)
    // and retried it with the same key while A's handler still ran.
    const path = newPath();
    const clock = new TestClock(T0);
    const release = deferred();
    const runs: string[] = [];
    const a = named('instance-a', await openFile(path, clock), clock, {
      handlers: {
        slow: async (_o, ctx) => {
          runs.push(`a:${ctx.idempotencyKey}`);
          await release.promise;
        },
      },
    });
    await a.scheduler.defineTask(oneShot('job', 0, { handler: 'slow', retry: { maxRetries: 2 } }));
    await a.scheduler.start();
    await clock.advanceAsync(0);
    expect(runs).toHaveLength(1);

    const b = named('instance-b', await openFile(path, clock), clock, {
      handlers: { slow: (_o, ctx) => void runs.push(`b:${ctx.idempotencyKey}`) },
    });
    const before = (await readAll(b.store)).length;
    const error = await rejectionOf(b.scheduler.start());
    expect(error).toBeInstanceOf(LogHeldError);
    const held = error as LogHeldError;
    expect(held.code).toBe('planflow:log-held');
    expect(held.holders.map((l) => [l.instanceId, l.pid, l.host])).toEqual([
      ['instance-a', process.pid, hostname()],
    ]);
    expect(held.message).toContain('instance "instance-a"');
    expect(held.message).toContain(`pid ${process.pid} on host "${hostname()}"`);
    expect(held.message).toContain(`running since ${new Date(T0).toISOString()}`);
    expect(held.message).toMatch(/Stop the other scheduler first.*planflow\/postgres/);
    expect(b.scheduler.status).toBe('idle');
    // B recorded nothing: no scheduler.started, no interrupted run, no retry.
    expect(await readAll(b.store)).toHaveLength(before);

    release.resolve();
    await clock.advanceAsync(MINUTE);
    const events = await readAll(a.store);
    expect(ofType(events, 'occurrence.failed')).toEqual([]);
    expect(ofType(events, 'occurrence.completed')).toHaveLength(1);
    expect(ofType(events, 'scheduler.started').map((e) => e.data.instanceId)).toEqual([
      'instance-a',
    ]);
    expect(runs).toHaveLength(1);
  });

  it('refuses the second scheduler on one memory store object the same way', async () => {
    const clock = new TestClock(T0);
    const store = memoryStore({ clock });
    const a = named('mem-a', store, clock);
    await a.scheduler.start();
    const b = named('mem-b', store, clock);
    const error = await rejectionOf(b.scheduler.start());
    expect(error).toBeInstanceOf(LogHeldError);
    expect((error as LogHeldError).holders.map((l) => l.instanceId)).toEqual(['mem-a']);
    expect((error as Error).message).toContain('instance "mem-a"');
    // A store of another object is another log: no conflict.
    const c = named('mem-c', memoryStore({ clock }), clock);
    await c.scheduler.start();
    expect(c.scheduler.status).toBe('running');
  });

  it('refuses a second scheduler on a store that keeps no leases of its own, per store object', async () => {
    const clock = new TestClock(T0);
    const store = forwardStore(memoryStore({ clock }));
    expect(store.leases).toBeUndefined();
    await named('fwd-a', store, clock).scheduler.start();
    const error = await rejectionOf(named('fwd-b', store, clock).scheduler.start());
    expect(error).toBeInstanceOf(LogHeldError);
  });

  it('lets the next scheduler start once the holder stopped (the lease is released)', async () => {
    const path = newPath();
    const clock = new TestClock(T0);
    const a = named('first', await openFile(path, clock), clock);
    await a.scheduler.start();
    const store = await openFile(path, clock);
    expect((await store.leases!.list()).map((l) => l.instanceId)).toEqual(['first']);
    await a.scheduler.stop();
    expect(await store.leases!.list()).toEqual([]);
    const b = named('second', store, clock);
    await b.scheduler.start();
    expect((await store.leases!.list()).map((l) => l.instanceId)).toEqual(['second']);
  });

  it('renews the lease on the scheduler’s clock, so a live holder is never taken over by expiry', async () => {
    const path = newPath();
    const clock = new TestClock(T0);
    const a = named('alive', await openFile(path, clock), clock, { leaseTtlMs: 15 * SECOND });
    await a.scheduler.start();
    const other = await openFile(path, clock);
    const [taken] = await other.leases!.list();
    expect(taken).toMatchObject({
      startedAtMs: T0,
      renewedAtMs: T0,
      expiresAtMs: T0 + 15 * SECOND,
    });
    await clock.advanceAsync(MINUTE);
    const [renewed] = await other.leases!.list();
    expect(renewed).toMatchObject({
      startedAtMs: T0,
      renewedAtMs: T0 + MINUTE,
      expiresAtMs: T0 + MINUTE + 15 * SECOND,
    });
    const error = await rejectionOf(named('late', other, clock).scheduler.start());
    expect(error).toBeInstanceOf(LogHeldError);
  });

  it('takes over a lease of another host once it expired, and not before (its pid cannot tell)', async () => {
    const path = newPath();
    const clock = new TestClock(T0);
    const store = await openFile(path, clock);
    // A scheduler on another machine sharing the file (or whose host name changed) that
    // stopped renewing: this process cannot ask whether its pid lives.
    const remote = { instanceId: 'remote', pid: process.pid, host: `${hostname()}-elsewhere` };
    const grant = await store.leases!.acquire({ ...remote, nowMs: T0, ttlMs: 15 * SECOND });
    expect(grant.granted).toBe(true);
    const runs: number[] = [];
    const b = named('local', store, clock, {
      handlers: { work: () => void runs.push(clock.now()) },
    });
    await b.scheduler.defineTask(oneShot('job', MINUTE, { handler: 'work' }));
    clock.set(T0 + 15 * SECOND - 1);
    const error = await rejectionOf(b.scheduler.start());
    expect((error as LogHeldError).holders.map((l) => l.instanceId)).toEqual(['remote']);
    expect((error as Error).message).toContain(`host "${hostname()}-elsewhere"`);

    clock.set(T0 + 15 * SECOND);
    await b.scheduler.start();
    expect((await store.leases!.list()).map((l) => l.instanceId)).toEqual(['local']);
    await clock.advanceAsync(MINUTE);
    expect(runs).toEqual([T0 + MINUTE]);
  });

  it('waits out the TTL for a holder of this process that was abandoned without stop()', async () => {
    const clock = new TestClock(T0);
    const store = memoryStore({ clock });
    // Its clock never moves again: it never renews, like a process that froze.
    const frozen = harness({
      store,
      clock: new TestClock(T0),
      idGenerator: () => 'frozen',
      leaseTtlMs: 15 * SECOND,
    });
    await frozen.scheduler.start();
    const b = named('next', store, clock, { leaseTtlMs: 20 * SECOND });
    clock.set(T0 + 15 * SECOND - 1);
    expect(await rejectionOf(b.scheduler.start())).toBeInstanceOf(LogHeldError);
    clock.set(T0 + 15 * SECOND);
    await b.scheduler.start();
    expect(b.scheduler.status).toBe('running');
  });

  it('leaves schedulers that never start alone: a tool defines tasks while another one runs', async () => {
    const path = newPath();
    const clock = new TestClock(T0);
    const a = named('runner', await openFile(path, clock), clock);
    await a.scheduler.start();
    const toolStore = await openFile(path, clock);
    const tool = track(
      createScheduler<Handlers>({
        store: toolStore,
        clock,
        idGenerator: () => 'tool',
        handlers: { work: () => undefined },
      }),
    ) as SmartScheduler;
    await tool.defineTask(oneShot('added', MINUTE, { handler: 'work' }));
    await tool.stop();
    const events = await readAll(toolStore);
    expect(ofType(events, 'task.defined').map((e) => e.data.task.id)).toEqual(['added']);
    // The tool neither took nor touched the runner's lease.
    expect((await toolStore.leases!.list()).map((l) => l.instanceId)).toEqual(['runner']);
    await clock.advanceAsync(MINUTE);
    expect(a.scheduler.status).toBe('running');
  });

  it('turns degraded when its lease was taken over while it stalled, claims nothing, and takes it back once the other stops', async () => {
    const path = newPath();
    // A's clock stands still while B's moves past the TTL: A's process stalled.
    const aClock = new TestClock(T0);
    const bClock = new TestClock(T0);
    const errors: unknown[] = [];
    const runs: string[] = [];
    const a = named('stalled', await openFile(path, aClock), aClock, {
      leaseTtlMs: 15 * SECOND,
      handlers: { work: (o) => void runs.push(`a:${o.taskId}`) },
      onError: (error) => errors.push(error),
    });
    await a.scheduler.defineTask(oneShot('later', 2 * MINUTE, { handler: 'work' }));
    await a.scheduler.start();

    bClock.set(T0 + 16 * SECOND);
    const bStore = await openFile(path, bClock);
    const b = named('newcomer', bStore, bClock, {
      handlers: { work: (o) => void runs.push(`b:${o.taskId}`) },
    });
    await b.scheduler.start();

    // A wakes up: its next renewal finds the lease gone.
    await aClock.advanceAsync(5 * SECOND);
    expect(a.scheduler.status).toBe('degraded');
    const lost = errors.find((e) => e instanceof LogHeldError) as LogHeldError | undefined;
    expect(lost?.message).toContain(
      'lease of instance "stalled" on its log lapsed and was taken over',
    );
    expect(lost?.holders.map((l) => l.instanceId)).toEqual(['newcomer']);

    // Both clocks move on together past the task's time: only the holder fires it.
    for (let step = 0; step < 24; step++) {
      await aClock.advanceAsync(5 * SECOND);
      await bClock.advanceAsync(5 * SECOND);
    }
    expect(runs).toEqual(['b:later']);

    // The newcomer stops; the degraded one's next probe takes the lease back and resumes.
    await b.scheduler.stop();
    await aClock.advanceAsync(MINUTE);
    expect(a.scheduler.status).toBe('running');
    expect((await bStore.leases!.list()).map((l) => l.instanceId)).toEqual(['stalled']);
    const degraded = ofType(await readAll(bStore), 'scheduler.degraded');
    expect(degraded.map((e) => [e.data.instanceId, e.data.lastError.name])).toEqual([
      ['stalled', 'LogHeldError'],
    ]);
  });

  it('holds back the outcome of a run the newcomer recorded interrupted, so the log never says completed after failed', async () => {
    const path = newPath();
    const aClock = new TestClock(T0);
    const release = deferred();
    const a = named('stalled', await openFile(path, aClock), aClock, {
      leaseTtlMs: 15 * SECOND,
      handlers: { slow: () => release.promise },
    });
    await a.scheduler.defineTask(
      oneShot('job', 0, { handler: 'slow', retry: { maxRetries: 2, delayMs: MINUTE } }),
    );
    await a.scheduler.start();
    await aClock.advanceAsync(0);
    const [occ] = (await a.scheduler.listOccurrences()).items;

    // A stalls past its TTL with the handler running; B takes over and, by the crash rule,
    // records that run as interrupted and plans its retry.
    const bClock = new TestClock(T0 + 20 * SECOND);
    const bStore = await openFile(path, bClock);
    const b = named('newcomer', bStore, bClock, { handlers: { slow: () => undefined } });
    await b.scheduler.start();
    await aClock.advanceAsync(5 * SECOND);
    expect(a.scheduler.status).toBe('degraded');
    release.resolve();
    await aClock.advanceAsync(SECOND);
    await bClock.advanceAsync(2 * MINUTE);

    // B stops; A takes the lease back, reads B's entries in and drops its stale outcome.
    await b.scheduler.stop();
    await aClock.advanceAsync(MINUTE);
    expect(a.scheduler.status).toBe('running');
    const mine = (await readAll(bStore)).filter((e) => e.stream === `occurrence:${occ!.id}`);
    expect(mine.map((e) => e.type)).toEqual([
      'occurrence.scheduled',
      'occurrence.triggered',
      'occurrence.failed',
      'occurrence.retried',
    ]);
    expect(await bStore.verify()).toMatchObject({ ok: true });
  });

  it('keeps the lease while renewals fail briefly, and turns degraded once it lapsed unrenewed', async () => {
    const clock = new TestClock(T0);
    const { store, leases, fail } = withFlakyLeases(memoryStore({ clock }));
    const errors: unknown[] = [];
    const a = named('flaky', store, clock, {
      leaseTtlMs: 15 * SECOND,
      onError: (error) => errors.push(error),
    });
    await a.scheduler.start();
    fail(true);
    // Renewals at 5 s and 10 s fail; the lease is still this scheduler's until 15 s.
    await clock.advanceAsync(14 * SECOND);
    expect(a.scheduler.status).toBe('running');
    expect(errors).toEqual([]);
    await clock.advanceAsync(2 * SECOND);
    expect(a.scheduler.status).toBe('degraded');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(DegradedError);
    fail(false);
    await clock.advanceAsync(MINUTE);
    expect(a.scheduler.status).toBe('running');
    expect((await leases.list()).map((l) => l.instanceId)).toEqual(['flaky']);
  });

  it('aborts the signal of the handlers running when the lease is lost, and later runs get a live one', async () => {
    const clock = new TestClock(T0);
    const { store, fail } = withFlakyLeases(memoryStore({ clock }));
    const reasons: unknown[] = [];
    const seen: boolean[] = [];
    const a = named('aborting', store, clock, {
      leaseTtlMs: 15 * SECOND,
      handlers: {
        long: (_o, { signal }) => {
          seen.push(signal.aborted);
          if (seen.length > 1) return undefined;
          return new Promise<void>((resolve) => {
            signal.addEventListener('abort', () => {
              reasons.push(signal.reason);
              resolve();
            });
          });
        },
      },
    });
    await a.scheduler.defineTask(oneShot('job', SECOND, { handler: 'long' }));
    await a.scheduler.start();
    await clock.advanceAsync(2 * SECOND);
    expect(seen).toEqual([false]);
    fail(true);
    await clock.advanceAsync(20 * SECOND);
    expect(a.scheduler.status).toBe('degraded');
    expect(reasons).toHaveLength(1);
    fail(false);
    await clock.advanceAsync(MINUTE);
    expect(a.scheduler.status).toBe('running');
    await a.scheduler.triggerNow({ taskId: 'job' });
    expect(seen).toEqual([false, false]);
  });

  it('validates leaseTtlMs like the other options', () => {
    for (const bad of [50, -1, Number.NaN, Number.POSITIVE_INFINITY, '15s']) {
      optionRejection(
        () => createScheduler({ leaseTtlMs: bad as number }),
        'planflow:invalid-options',
        'options.leaseTtlMs',
      );
    }
  });
});
