import FakeTimers from '@sinonjs/fake-timers';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPlanflowError } from '../../src/domain/errors.js';
import { type SqliteStore, sqliteStore } from '../../src/sqlite/sqliteStore.js';
import { describeEventStoreContract } from '../contracts/storeContract.js';
import {
  clock,
  logWith,
  readAll,
  rejection,
  started,
  triggered,
  useTempLogPaths,
  walCommits,
} from '../helpers/sqliteFixtures.js';

const newPath = useTempLogPaths();

describeEventStoreContract('sqliteStore', async ({ clock: contractClock }) => {
  const store = await sqliteStore({ path: newPath(), synchronous: 'NORMAL', clock: contractClock });
  return { store, cleanup: () => store.close() };
});

describe('sqliteStore', () => {
  describe('group commit', () => {
    let path: string;
    let store: SqliteStore;
    beforeEach(async () => {
      path = newPath();
      store = await sqliteStore({ path, clock, synchronous: 'FULL' });
      await store.append([started('warm-up')]);
    });
    afterEach(() => store.close());

    it('commits every append made in one tick in a single transaction', async () => {
      const before = walCommits(path);
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => store.append([started(`s${i}`)])),
      );
      expect(walCommits(path) - before).toBe(1);
      expect(results.map((r) => r[0]!.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 2));
    });

    it('commits awaited appends one transaction each', async () => {
      const before = walCommits(path);
      for (let i = 0; i < 5; i++) await store.append([started(`s${i}`)]);
      expect(walCommits(path) - before).toBe(5);
    });

    it('rejects only the failing call of a group and commits the rest', async () => {
      const before = walCommits(path);
      const results = await Promise.allSettled([
        store.append([triggered('o1'), started('a')]),
        store.append([started('b'), triggered('o1')]),
        store.append([started('c')], { expectedSeq: 0 }),
        store.append([started('d')]),
      ]);
      expect(results.map((r) => r.status)).toEqual([
        'fulfilled',
        'rejected',
        'rejected',
        'fulfilled',
      ]);
      expect(
        isPlanflowError((results[1] as PromiseRejectedResult).reason, 'planflow:already-triggered'),
      ).toBe(true);
      expect(
        isPlanflowError((results[2] as PromiseRejectedResult).reason, 'planflow:concurrency'),
      ).toBe(true);
      expect(walCommits(path) - before).toBe(1);
      const log = await readAll(store);
      expect(log.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect(log.slice(1).map((e) => e.data)).toEqual([
        { occurrenceId: 'o1', attempt: 0, idempotencyKey: 'o1', lateByMs: 0 },
        { instanceId: 'a' },
        { instanceId: 'd' },
      ]);
      expect((await store.verify()).ok).toBe(true);
    });

    it('commits queued appends when closed in the same tick', async () => {
      const pending = store.append([started('last')]);
      await store.close();
      expect((await pending)[0]!.seq).toBe(2);
      const reopened = await sqliteStore({ path, clock });
      expect((await reopened.head()).seq).toBe(2);
      await reopened.close();
    });

    it('still commits when timers and microtask hooks are faked', async () => {
      const fake = FakeTimers.install({
        toFake: ['setTimeout', 'setImmediate', 'queueMicrotask', 'Date'],
      });
      try {
        const [event] = await store.append([started('faked')]);
        expect(event!.seq).toBe(2);
      } finally {
        fake.uninstall();
      }
    });
  });

  describe('on reopen', () => {
    it('keeps the log and continues its chain', async () => {
      const path = await logWith(newPath(), 3);
      const store = await sqliteStore({ path, clock });
      expect((await store.head()).seq).toBe(3);
      const [next] = await store.append([started('after')]);
      expect(next!.seq).toBe(4);
      expect(next!.prevHash).toBe((await readAll(store))[2]!.hash);
      expect(await store.verify()).toMatchObject({ ok: true, entries: 4 });
      await store.close();
    });

    it('lets two connections to one file share one gapless log and one trigger per occurrence', async () => {
      const path = newPath();
      const a = await sqliteStore({ path, clock, synchronous: 'NORMAL' });
      const b = await sqliteStore({ path, clock, synchronous: 'NORMAL' });
      await a.append([started('a'), triggered('o1')]);
      await b.append([started('b')]);
      const error = await rejection(b.append([triggered('o1')]));
      expect(isPlanflowError(error, 'planflow:already-triggered')).toBe(true);
      await a.append([started('a2')]);
      expect((await readAll(b)).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect((await b.verify()).ok).toBe(true);
      await a.close();
      await b.close();
    });
  });

  describe('options', () => {
    it('rejects unusable options with the field named', async () => {
      const bad = [
        { path: '' },
        { path: newPath(), synchronous: 'OFF' },
        { path: newPath(), verifyOnOpen: 1 },
      ];
      for (const options of bad) {
        const error = await rejection(sqliteStore(options as never));
        expect(isPlanflowError(error, 'planflow:invalid-options')).toBe(true);
      }
    });
  });

  describe('the unique trigger index', () => {
    it('rejects a raw second occurrence.triggered for a stream, not other repeats', async () => {
      const path = await logWith(newPath(), 0);
      const db = new Database(path);
      const insert = db.prepare(
        "INSERT INTO events (seq, id, type, time, stream, data, schema_version, prev_hash, hash) VALUES (?, ?, ?, 't', 'occurrence:o1', '{}', 1, '', '')",
      );
      insert.run(1, 'a', 'occurrence.triggered');
      insert.run(2, 'b', 'occurrence.completed');
      insert.run(3, 'c', 'occurrence.completed');
      expect(() => insert.run(4, 'd', 'occurrence.triggered')).toThrowError(
        expect.objectContaining({ code: 'SQLITE_CONSTRAINT_UNIQUE' }),
      );
      db.close();
    });
  });
});
