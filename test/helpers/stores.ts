import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { EventStore, StoreClock } from '../../src/log/EventStore.js';
import { memoryStore } from '../../src/log/memoryStore.js';
import { postgresStore } from '../../src/postgres/index.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import { trackStoreWork } from '../../src/testing/storeWork.js';
import { forwardStore } from './forwardStore.js';
import { dropSchema, newSchemaName, PG_URL, requirePostgres } from './pgSchemas.js';

/** A kind of store the scheduler tests run against. */
export type StoreKind = Readonly<{
  name: 'memory' | 'sqlite' | 'postgres';
  /** A fresh, empty store. */
  open(clock: StoreClock): Promise<EventStore>;
  /**
   * Opens the same log again, as a restarted process would (memory: the same object). The
   * old process is gone, so its lease is too: a newcomer takes over the lease of a dead pid
   * at once, and a crash simulated in this process leaves its own pid alive.
   */
  reopen(store: EventStore, clock: StoreClock): Promise<EventStore>;
}>;

/**
 * The stores the integration tests run against: memory, SQLite on a temp file and
 * PostgreSQL in a schema of its own (a PostgreSQL that cannot be reached fails the test,
 * saying so). Stores opened during a test are closed and their files and schemas removed
 * after it.
 *
 * A PostgreSQL store is wrapped in `trackStoreWork`, so a TestClock's settle (its default,
 * `settleStoreWork`) waits until none of its calls is in flight: a round trip to the server
 * outlasts the macrotask hop that is enough for memory and SQLite. Every scheduler suite
 * that takes its stores from here runs on all three: the PostgreSQL cases take about twice
 * the test time of the memory and SQLite ones, but they mostly wait on the server, and the
 * whole suite's wall time did not measurably grow (docs/architecture.md has the figures).
 * `{ postgres: false }` leaves PostgreSQL out, for a suite whose point is not the store.
 */
export function useStores(options: Readonly<{ postgres?: boolean }> = {}): readonly StoreKind[] {
  const dirs: string[] = [];
  const opened: EventStore[] = [];
  const paths = new WeakMap<EventStore, string>();
  const schemas: string[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close().catch(() => undefined);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });
  const openPostgres = async (schema: string, clock: StoreClock): Promise<EventStore> => {
    // Tracked, so a TestClock's settle waits for its round trips (see trackStoreWork).
    const store = trackStoreWork(await postgresStore({ connectionString: PG_URL, schema, clock }));
    opened.push(store);
    paths.set(store, schema);
    return store;
  };
  const openSqlite = async (path: string, clock: StoreClock): Promise<EventStore> => {
    const store = await sqliteStore({ path, clock, synchronous: 'NORMAL' });
    opened.push(store);
    paths.set(store, path);
    return store;
  };
  const kinds: StoreKind[] = [
    {
      name: 'memory',
      open: async (clock) => memoryStore({ clock }),
      reopen: async (store) => {
        await dropLeases(store);
        return store;
      },
    },
    {
      name: 'sqlite',
      open: async (clock) => {
        const dir = mkdtempSync(join(tmpdir(), 'planflow-scheduler-'));
        dirs.push(dir);
        return openSqlite(join(dir, 'log.db'), clock);
      },
      reopen: async (store, clock) => {
        const path = paths.get(store);
        if (path === undefined) throw new Error('reopen: not a store opened by useStores()');
        await store.close();
        const reopened = await openSqlite(path, clock);
        await dropLeases(reopened);
        return reopened;
      },
    },
    {
      name: 'postgres',
      open: async (clock) => {
        await requirePostgres();
        const schema = newSchemaName();
        schemas.push(schema);
        return openPostgres(schema, clock);
      },
      reopen: async (store, clock) => {
        const schema = paths.get(store);
        if (schema === undefined) throw new Error('reopen: not a store opened by useStores()');
        await store.close();
        const reopened = await openPostgres(schema, clock);
        await dropLeases(reopened);
        return reopened;
      },
    },
  ];
  return options.postgres === false ? kinds.slice(0, 2) : kinds;
}

/** Removes every lease on the log, as the death of their processes lets a newcomer do. */
async function dropLeases(store: EventStore): Promise<void> {
  const leases = store.leases;
  for (const lease of (await leases?.list()) ?? []) await leases?.release(lease.instanceId);
}

/** A store whose appends fail while `failing` is set: a full disk or a dropped connection. */
export type FlakyStore = EventStore & { failing: boolean };

/** Wraps `store` so a test can make its appends fail (reads keep working). */
export function flakyStore(store: EventStore): FlakyStore {
  const flaky: FlakyStore = {
    ...forwardStore(store),
    failing: false,
    append: (events, options) =>
      flaky.failing ? Promise.reject(new Error('disk I/O error')) : store.append(events, options),
  };
  return flaky;
}
