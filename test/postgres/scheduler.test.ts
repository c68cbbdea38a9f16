import { beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from '../../src/domain/errors.js';
import type { Occurrence } from '../../src/domain/types.js';
import type { EventStore } from '../../src/log/EventStore.js';
import { type PostgresStore, postgresStore } from '../../src/postgres/index.js';
import { trackStoreWork } from '../../src/testing/storeWork.js';
import { TestClock } from '../../src/testing/TestClock.js';
import {
  at,
  type Harness,
  MINUTE,
  manualTask,
  oneShot,
  SECOND,
  T0,
  useHarnesses,
} from '../helpers/harness.js';
import { ofType, triggeredTwice } from '../helpers/logQueries.js';
import { PG_URL, requirePostgres, sql, useTempSchemas } from '../helpers/pgSchemas.js';

// The scheduler on PostgreSQL beyond what the scheduler suites (run on it through useStores)
// cover: a series whose log then verifies, a restart with a run pending on the same schema,
// and a lost connection (degraded, retried, resumed). Every store here is tracked with
// trackStoreWork, so the TestClock's settle waits until no call into it is in flight.

beforeAll(requirePostgres);
const newSchema = useTempSchemas();
const { setUp } = useHarnesses();

/** A TestClock at `startMs` and `store` tracked, so the clock's settle waits for its calls. */
function settledOn(store: PostgresStore, startMs: number): { clock: TestClock; store: EventStore } {
  return { clock: new TestClock(startMs), store: trackStoreWork(store) };
}

function everyMinute(id: string) {
  return { ...manualTask(id), recurrence: { everyMs: MINUTE, anchor: at(MINUTE) } };
}

async function open(schema: string, clock: { now(): number }): Promise<PostgresStore> {
  return postgresStore({ connectionString: PG_URL, schema, clock });
}

describe('SmartScheduler on a postgresStore', () => {
  it('runs a series on its grid and a one-shot, once each, and the log verifies', async () => {
    let clockNow = () => T0;
    const pg = await open(newSchema(), { now: () => clockNow() });
    const { clock, store } = settledOn(pg, T0);
    clockNow = () => clock.now();
    const h = setUp({ clock, store });
    try {
      await h.scheduler.defineTask(everyMinute('a'));
      await h.scheduler.defineTask(oneShot('once', 90 * SECOND));
      await h.scheduler.start();
      await h.clock.advanceAsync(5 * MINUTE);
      await h.clock.settle();
      const ran = h.calls.map((c) => c.atMs - T0);
      expect(ran).toEqual([1, 1.5, 2, 3, 4, 5].map((m) => m * MINUTE));
      const events = await h.events();
      expect(triggeredTwice(events)).toEqual([]);
      expect(ofType(events, 'occurrence.triggered')).toHaveLength(6);
      expect(ofType(events, 'occurrence.completed')).toHaveLength(6);
      expect((await h.scheduler.listExecutions({ taskId: 'once' })).items).toMatchObject([
        { state: 'done', outcome: 'completed' },
      ]);
      expect(await h.scheduler.verify()).toMatchObject({ ok: true });
      await h.scheduler.stop();
    } finally {
      await pg.close();
    }
  });

  it('carries on after a restart on the same schema: the pending run fires once', async () => {
    const schema = newSchema();
    let clockNow = () => T0;
    const wall = { now: () => clockNow() };
    const first = settledOn(await open(schema, wall), T0);
    clockNow = () => first.clock.now();
    const h1: Harness = setUp({ clock: first.clock, store: first.store });
    await h1.scheduler.defineTask(everyMinute('a'));
    await h1.scheduler.start();
    await h1.clock.advanceAsync(2 * MINUTE);
    await h1.clock.settle();
    await h1.scheduler.stop();
    await first.store.close();

    const second = settledOn(await open(schema, wall), T0 + 2 * MINUTE + 30 * SECOND);
    clockNow = () => second.clock.now();
    const h2 = setUp({ clock: second.clock, store: second.store });
    await h2.scheduler.ready;
    expect(h2.scheduler.listTasks().map((t) => t.id)).toEqual(['a']);
    await h2.scheduler.start();
    await h2.clock.advanceAsync(2 * MINUTE);
    await h2.clock.settle();
    expect([...h1.calls, ...h2.calls].map((c) => c.atMs - T0)).toEqual(
      [1, 2, 3, 4].map((m) => m * MINUTE),
    );
    const events = await h2.events();
    expect(triggeredTwice(events)).toEqual([]);
    expect(await h2.scheduler.verify()).toMatchObject({ ok: true });
    await h2.scheduler.stop();
    await second.store.close();
  });

  it('goes degraded when the connection is lost mid-write, retries, and resumes the series', async () => {
    const schema = newSchema();
    let clockNow = () => T0;
    const pg = await open(schema, { now: () => clockNow() });
    const { clock, store } = settledOn(pg, T0);
    clockNow = () => clock.now();
    const holder = new (await import('pg')).default.Client({ connectionString: PG_URL });
    await holder.connect();
    const lock = `1347831366, hashtext('${schema}')`;
    const runs: number[] = [];
    const h = setUp({
      clock,
      store,
      handlers: {
        job: async (_occurrence: Occurrence) => {
          runs.push(clock.now() - T0);
          // The second run's outcome will wait for the append lock held from outside.
          if (runs.length === 2) await holder.query(`SELECT pg_advisory_lock(${lock})`);
        },
      },
    });
    try {
      await h.scheduler.defineTask({ ...everyMinute('a'), handler: 'job' });
      await h.scheduler.start();
      await h.clock.advanceAsync(MINUTE);
      await h.clock.settle();
      // The second run: its outcome append blocks on the lock; its backend is terminated.
      const advancing = h.clock.advanceAsync(MINUTE);
      let pid: number | undefined;
      for (let i = 0; i < 500 && pid === undefined; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        const rows = await sql<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
          [`planflow:${schema}`],
        );
        pid = rows[0]?.pid;
      }
      expect(pid).toBeDefined();
      await sql('SELECT pg_terminate_backend($1)', [pid]);
      await advancing;
      await h.clock.settle();
      expect(h.scheduler.status).toBe('degraded');
      const cause = (h.errors[0] as Error).cause;
      expect(cause).toBeInstanceOf(StorageError);
      expect(cause).toMatchObject({ code: 'planflow:storage-unavailable', transient: true });

      await holder.query(`SELECT pg_advisory_unlock(${lock})`);
      await h.clock.advanceAsync(30 * SECOND);
      await h.clock.settle();
      expect(h.scheduler.status).toBe('running');
      await h.clock.advanceAsync(2 * MINUTE);
      await h.clock.settle();
      const events = await h.events();
      expect(ofType(events, 'scheduler.degraded')).toHaveLength(1);
      expect(triggeredTwice(events)).toEqual([]);
      expect(runs.slice(0, 2)).toEqual([MINUTE, 2 * MINUTE]);
      expect(runs.length).toBeGreaterThanOrEqual(4);
      expect((await h.scheduler.listExecutions({ state: 'triggered' })).items).toEqual([]);
      expect(await h.scheduler.verify()).toMatchObject({ ok: true });
      await h.scheduler.stop();
    } finally {
      await holder.end();
      await pg.close();
    }
  });
});
