import { beforeAll, describe, expect, it } from 'vitest';
import { isPlanflowError } from '../../src/domain/errors.js';
import type { StoredEvent } from '../../src/log/events.js';
import { type PostgresStore, postgresStore } from '../../src/postgres/index.js';
import type { Handler } from '../../src/scheduler/handlers.js';
import { ownerOf } from '../../src/scheduler/ownerOf.js';
import { TestClock } from '../../src/testing/TestClock.js';
import { advanceFleet, until } from '../helpers/fleetTime.js';
import {
  at,
  type Harness,
  MINUTE,
  manualTask,
  SECOND,
  T0,
  useHarnesses,
} from '../helpers/harness.js';
import { ofType, readAll, triggeredTwice } from '../helpers/logQueries.js';
import { PG_URL, requirePostgres, sql, useTempSchemas } from '../helpers/pgSchemas.js';

// Several schedulers on one PostgreSQL schema, in this process: each has its own store (its
// own connections and LISTEN), and the tests wait for what the server delivers (a NOTIFY, a
// round trip) with `until`, which polls a condition and fails loudly when it does not hold in
// time. Time that decides anything (due times, lease expiry) is each scheduler's TestClock.

beforeAll(requirePostgres);
const newSchema = useTempSchemas();
const { setUp } = useHarnesses();

const LEASE_TTL_MS = 15 * SECOND;
const A = 'fleet-a';
const B = 'fleet-b';

const HEARTBEAT_MS = LEASE_TTL_MS / 3;

const advance = (schema: string, clock: TestClock, ms: number, alive: readonly string[]) =>
  advanceFleet(schema, clock, ms, alive, HEARTBEAT_MS);

function open(schema: string, clock: TestClock): Promise<PostgresStore> {
  return postgresStore({ connectionString: PG_URL, schema, clock });
}

/** A task id whose owner among {A, B} is `owner`, so a test can say who runs what. */
function taskOwnedBy(owner: string, prefix: string): string {
  for (let i = 0; ; i++) {
    const id = `${prefix}-${i}`;
    if (ownerOf(id, [A, B]) === owner) return id;
  }
}

// Outside the calendar, so every series fires on the same minute grid.
const everyMinute = (id: string) => ({
  ...manualTask(id, { calendar: 'ignore' }),
  recurrence: { everyMs: MINUTE, anchor: at(MINUTE) },
});

async function instance(
  schema: string,
  clock: TestClock,
  instanceId: string,
  handlers: Record<string, Handler> = {},
): Promise<Harness & { pg: PostgresStore }> {
  const pg = await open(schema, clock);
  const h = setUp({ clock, store: pg, instanceId, leaseTtlMs: LEASE_TTL_MS, handlers });
  return Object.assign(h, { pg });
}

const who = (events: readonly StoredEvent[]) => {
  const of = new Map<string, string>();
  for (const e of ofType(events, 'occurrence.triggered')) {
    of.set(e.data.occurrenceId, e.data.instanceId ?? '?');
  }
  return of;
};

describe('a fleet on one PostgreSQL schema', () => {
  it('splits the tasks between two instances and runs every occurrence once', async () => {
    const schema = newSchema();
    const clock = new TestClock(T0);
    const a = await instance(schema, clock, A);
    const b = await instance(schema, clock, B);
    const ids = Array.from({ length: 12 }, (_, i) => `series-${i}`);
    for (const id of ids) await a.scheduler.defineTask(everyMinute(id));
    await a.scheduler.start();
    await b.scheduler.start();
    // A reads B's start, reads the leases again and hands B its share.
    await until(
      'the two instances armed one occurrence per task between them',
      () => a.scheduler.armedCount + b.scheduler.armedCount === ids.length,
    );
    expect(a.scheduler.armedCount).toBeGreaterThan(0);
    expect(b.scheduler.armedCount).toBeGreaterThan(0);

    for (let minute = 1; minute <= 5; minute++) {
      await advance(schema, clock, MINUTE, [A, B]);
      await until(`minute ${minute}'s runs are recorded`, async () => {
        const events = await readAll(a.pg);
        return ofType(events, 'occurrence.completed').length === ids.length * minute;
      });
      await until(`both armed minute ${minute + 1}`, () => {
        return a.scheduler.armedCount + b.scheduler.armedCount === ids.length;
      });
    }
    const events = await readAll(a.pg);
    expect(triggeredTwice(events)).toEqual([]);
    expect(a.calls.length + b.calls.length).toBe(ids.length * 5);
    const ranOnA = new Set(a.calls.map((c) => c.occurrenceId));
    expect(b.calls.filter((c) => ranOnA.has(c.occurrenceId))).toEqual([]);
    // Each task ran where the rendezvous put it, every minute.
    const owners = who(events);
    const taskOf = new Map(
      ofType(events, 'occurrence.scheduled').map((e) => [
        e.data.occurrence.id,
        e.data.occurrence.taskId,
      ]),
    );
    for (const [occurrenceId, instanceId] of owners) {
      expect(instanceId).toBe(ownerOf(taskOf.get(occurrenceId)!, [A, B]));
    }
    expect(new Set(owners.values())).toEqual(new Set([A, B]));
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    expect(await a.pg.verify()).toMatchObject({ ok: true });
  });

  it('a survivor records a dead instance’s running run interrupted, retries it with its key, and fires its series', async () => {
    const schema = newSchema();
    // A's clock stops when A "dies": its heartbeat and timers never run again.
    const clockA = new TestClock(T0);
    const clockB = new TestClock(T0);
    let release: (() => void) | undefined;
    const hang = () =>
      new Promise<void>((resolve) => {
        release = resolve;
      });
    const a = await instance(schema, clockA, A, { hang });
    const b = await instance(schema, clockB, B, { hang: () => undefined });
    const slow = taskOwnedBy(A, 'slow');
    const series = taskOwnedBy(A, 'series');
    await a.scheduler.defineTask({
      ...manualTask(slow, { handler: 'hang' }),
      startAt: at(10 * SECOND),
      retry: { maxRetries: 2, delayMs: SECOND },
    });
    await a.scheduler.defineTask(everyMinute(series));
    await a.scheduler.start();
    await b.scheduler.start();
    await until('A armed both of its tasks', () => a.scheduler.armedCount === 2);

    await advance(schema, clockA, 10 * SECOND, [A]);
    await advance(schema, clockB, 10 * SECOND, [B]);
    await until('A runs the slow handler', () => release !== undefined);
    // A is alive and renewing: B never takes its running run for interrupted.
    await until('B read the trigger', async () =>
      (await b.scheduler.listExecutions()).items.some(
        (e) => e.taskId === slow && e.state === 'triggered',
      ),
    );
    await advance(schema, clockB, 4 * SECOND, [B]);
    let events = await readAll(b.pg);
    expect(ofType(events, 'occurrence.failed')).toEqual([]);

    // A dies here. Its lease, renewed last at +10 s, lapses at +25 s on B's clock; B's
    // heartbeat at +30 s finds it stale.
    await advance(schema, clockB, 16 * SECOND, [B]);
    await until('B recorded the run interrupted', async () => {
      events = await readAll(b.pg);
      return ofType(events, 'occurrence.failed').length === 1;
    });
    const failed = ofType(events, 'occurrence.failed')[0]!;
    expect(failed.data.error.name).toBe('InterruptedError');
    expect(failed.data.error.message).toContain(`instance "${A}"`);
    expect(failed.data.error.message).toContain(`recorded by instance "${B}"`);

    // The retry runs on B with the first run's key, and the series' next slot fires on B.
    await advance(schema, clockB, 2 * SECOND, [B]);
    await until('B ran the retry', async () => {
      events = await readAll(b.pg);
      return ofType(events, 'occurrence.completed').some(
        (e) => who(events).get(e.data.occurrenceId) === B,
      );
    });
    const triggers = ofType(events, 'occurrence.triggered');
    const first = triggers.find((e) => e.data.instanceId === A && e.data.attempt === 0)!;
    const retry = triggers.find((e) => e.data.attempt === 1)!;
    expect(retry.data.instanceId).toBe(B);
    expect(retry.data.idempotencyKey).toBe(first.data.idempotencyKey);
    await advance(schema, clockB, MINUTE - 32 * SECOND, [B]);
    await until('B fired the series', () => b.calls.some((c) => c.cause !== 'retry'));

    // A's handler returns at last: its ending is refused, the log keeps the one recorded.
    release!();
    await until('A was told its outcome came too late', () =>
      a.errors.some((e) => isPlanflowError(e, 'planflow:already-settled')),
    );
    events = await readAll(b.pg);
    const endings = events.filter(
      (e) =>
        (e.type === 'occurrence.completed' || e.type === 'occurrence.failed') &&
        e.data.occurrenceId === first.data.occurrenceId,
    );
    expect(endings.map((e) => e.type)).toEqual(['occurrence.failed']);
    expect(triggeredTwice(events)).toEqual([]);
    expect(await b.pg.verify()).toMatchObject({ ok: true });
  });

  it('a paused instance hands its tasks to the running ones, and takes them back on start', async () => {
    const schema = newSchema();
    const clock = new TestClock(T0);
    const a = await instance(schema, clock, A);
    const b = await instance(schema, clock, B);
    const mine = taskOwnedBy(A, 'mine');
    await a.scheduler.defineTask(everyMinute(mine));
    await a.scheduler.start();
    await b.scheduler.start();
    await until('A armed its task', () => a.scheduler.armedCount === 1);
    expect(b.scheduler.armedCount).toBe(0);

    await a.scheduler.pause();
    await until('B took the task over', () => b.scheduler.armedCount === 1);
    await advance(schema, clock, MINUTE, [A, B]);
    await until('B ran it', () => b.calls.length === 1);
    expect(a.calls).toEqual([]);

    await a.scheduler.start();
    await until(
      'A took its task back',
      () => a.scheduler.armedCount === 1 && b.scheduler.armedCount === 0,
    );
    await advance(schema, clock, MINUTE, [A, B]);
    await until('A ran it', () => a.calls.length === 1);
    const events = await readAll(a.pg);
    expect(triggeredTwice(events)).toEqual([]);
    expect([...who(events).values()]).toEqual([B, A]);
  });

  it('an instance whose listening connection was cut reads what it missed once it reconnects', async () => {
    const schema = newSchema();
    const clock = new TestClock(T0);
    const a = await instance(schema, clock, A);
    const b = await instance(schema, clock, B);
    const mine = taskOwnedBy(B, 'mine');
    await a.scheduler.start();
    await b.scheduler.start();
    // The server ends B's LISTEN connection (as a restart or a proxy timeout would).
    await until('B listens', async () => {
      const rows = await sql<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'LISTEN "planflow:${schema}"%'`,
      );
      return Number(rows[0]?.n) >= 2;
    });
    const cut = await sql<{ ended: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
       WHERE query LIKE 'LISTEN "planflow:${schema}"%' AND pid <> pg_backend_pid()`,
    );
    expect(cut.filter((r) => r.ended).length).toBeGreaterThanOrEqual(2);
    // A defines B's task while B hears nothing; B arms it once it listens again.
    await a.scheduler.defineTask(everyMinute(mine));
    await until('B armed the task it missed', () => b.scheduler.armedCount === 1);
    await advance(schema, clock, MINUTE, [A, B]);
    await until('B ran it', () => b.calls.length === 1);
    expect(a.calls).toEqual([]);
  });
});
