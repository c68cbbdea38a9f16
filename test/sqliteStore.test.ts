import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import FakeTimers from '@sinonjs/fake-timers';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CorruptLogError, isPlanflowError } from '../src/domain/errors.js';
import type { NewEvent, StoredEvent } from '../src/log/events.js';
import { streams } from '../src/log/events.js';
import { LOG_SCHEMA_VERSION, logMigrations, migrate } from '../src/sqlite/migrations.js';
import { repairLog } from '../src/sqlite/repair.js';
import { type SqliteStore, sqliteStore } from '../src/sqlite/sqliteStore.js';
import { describeEventStoreContract } from './storeContract.js';

const tempDirs: string[] = [];
const newPath = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'planflow-sqlite-'));
  tempDirs.push(dir);
  return join(dir, 'log.db');
};
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeEventStoreContract('sqliteStore', async ({ clock }) => {
  const dir = mkdtempSync(join(tmpdir(), 'planflow-contract-'));
  const store = await sqliteStore({ path: join(dir, 'log.db'), synchronous: 'NORMAL', clock });
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const clock = { now: () => Date.parse('2026-03-02T08:00:00.000Z') };
const started = (instanceId: string): NewEvent => ({
  type: 'scheduler.started',
  stream: streams.scheduler,
  data: { instanceId },
});
const triggered = (occurrenceId: string): NewEvent => ({
  type: 'occurrence.triggered',
  stream: streams.occurrence(occurrenceId),
  data: { occurrenceId, attempt: 0, idempotencyKey: occurrenceId, lateByMs: 0 },
});
async function readAll(store: SqliteStore): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for await (const batch of store.read()) all.push(...batch);
  return all;
}
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

/**
 * Counts commit frames in the WAL file of the current WAL generation: SQLite marks the last
 * frame of every committed transaction with the database size, so this counts transactions
 * from outside the store, without trusting its own bookkeeping.
 */
function walCommits(path: string): number {
  const wal = readFileSync(`${path}-wal`);
  if (wal.length < 32) return 0;
  const pageSize = wal.readUInt32BE(8);
  const salt1 = wal.readUInt32BE(16);
  const salt2 = wal.readUInt32BE(20);
  let commits = 0;
  for (let offset = 32; offset + 24 + pageSize <= wal.length; offset += 24 + pageSize) {
    const sameGeneration =
      wal.readUInt32BE(offset + 8) === salt1 && wal.readUInt32BE(offset + 12) === salt2;
    if (sameGeneration && wal.readUInt32BE(offset + 4) !== 0) commits++;
  }
  return commits;
}

/** Builds a closed log of `n` entries and returns its path. */
async function logWith(n: number): Promise<string> {
  const path = newPath();
  const store = await sqliteStore({ path, clock, synchronous: 'NORMAL' });
  for (let i = 1; i <= n; i++) await store.append([started(`i${i}`)]);
  await store.close();
  return path;
}

function raw(path: string, sql: string, ...params: unknown[]): void {
  const db = new Database(path);
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

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
      const path = await logWith(3);
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

  describe('schema versions', () => {
    it('creates the newest schema, marked as a PlanFlow log, in WAL mode', async () => {
      const path = await logWith(0);
      const db = new Database(path);
      expect(db.pragma('user_version', { simple: true })).toBe(LOG_SCHEMA_VERSION);
      expect(db.pragma('application_id', { simple: true })).toBe(0x506c466c);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      db.close();
    });

    it('refuses a file written by a newer PlanFlow and leaves it unchanged', async () => {
      const path = await logWith(2);
      raw(path, `PRAGMA user_version = ${LOG_SCHEMA_VERSION + 1}`);
      const error = await rejection(sqliteStore({ path, clock }));
      expect(isPlanflowError(error, 'planflow:invalid-options')).toBe(true);
      expect((error as Error).message).toMatch(
        `schema version ${LOG_SCHEMA_VERSION + 1}, but this PlanFlow only knows versions up to ${LOG_SCHEMA_VERSION}`,
      );
      const db = new Database(path);
      expect(db.pragma('user_version', { simple: true })).toBe(LOG_SCHEMA_VERSION + 1);
      expect(db.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 2 });
      db.close();
    });

    it('applies only the steps a file lacks, in order, and a failing step changes nothing', async () => {
      const path = await logWith(1);
      const db = new Database(path);
      const v2 = {
        version: 2,
        description: 'test: add a column',
        up: (d: Database.Database) => d.exec('ALTER TABLE events ADD COLUMN note TEXT'),
      };
      const v3 = {
        version: 3,
        description: 'test: fails half way',
        up: (d: Database.Database) => {
          d.exec('CREATE TABLE half (x)');
          throw new Error('step 3 failed');
        },
      };
      expect(() => migrate(db, path, [...logMigrations, v2, v3])).toThrowError('step 3 failed');
      expect(db.pragma('user_version', { simple: true })).toBe(2);
      expect(
        db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'half'").get(),
      ).toEqual({ n: 0 });
      expect(migrate(db, path, [...logMigrations, v2])).toEqual({ from: 2, to: 2 });
      expect(db.prepare('SELECT note FROM events').all()).toEqual([{ note: null }]);
      expect(() => migrate(db, path, [v2])).toThrowError(/must have version 1/);
      db.close();
    });

    it('skips a step that another connection applied after this one first looked', async () => {
      const path = newPath();
      raw(path, 'SELECT 1');
      const other = new Database(path);
      migrate(other, path);
      other.close();
      const db = new Database(path);
      let firstLook = true;
      // The first user_version read answers as it would have before the other connection ran.
      const stale = new Proxy(db, {
        get(target, prop) {
          if (prop === 'pragma') {
            return (source: string, options?: Database.PragmaOptions) => {
              if (firstLook && source === 'user_version') {
                firstLook = false;
                return 0;
              }
              return target.pragma(source, options);
            };
          }
          const value: unknown = Reflect.get(target, prop, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      expect(migrate(stale, path)).toEqual({ from: 0, to: LOG_SCHEMA_VERSION });
      expect(db.pragma('user_version', { simple: true })).toBe(LOG_SCHEMA_VERSION);
      db.close();
    });

    it('refuses another application’s SQLite file and a file that is not a database', async () => {
      const foreign = newPath();
      raw(foreign, 'CREATE TABLE users (id INTEGER)');
      expect(
        isPlanflowError(
          await rejection(sqliteStore({ path: foreign })),
          'planflow:invalid-options',
        ),
      ).toBe(true);
      const garbage = newPath();
      writeFileSync(garbage, Buffer.alloc(8192, 0x5a));
      const error = await rejection(sqliteStore({ path: garbage }));
      expect(error).toBeInstanceOf(CorruptLogError);
      expect(readFileSync(garbage).equals(Buffer.alloc(8192, 0x5a))).toBe(true);
    });

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

  describe('corruption', () => {
    const openError = async (path: string): Promise<CorruptLogError> => {
      const error = await rejection(sqliteStore({ path, clock }));
      expect(error).toBeInstanceOf(CorruptLogError);
      return error as CorruptLogError;
    };

    it('detects a changed byte in a payload at its position', async () => {
      const path = await logWith(5);
      raw(path, "UPDATE events SET data = replace(data, 'i3', 'i8') WHERE seq = 3");
      const error = await openError(path);
      expect(error.position).toBe(3);
      expect(error.message).toMatch(/entry #3.*repairLog/);
    });

    it('detects a torn last entry', async () => {
      const path = await logWith(5);
      raw(path, "UPDATE events SET hash = '' WHERE seq = 5");
      expect((await openError(path)).position).toBe(5);
    });

    it('detects a removed middle entry and changes nothing', async () => {
      const path = await logWith(5);
      raw(path, 'DELETE FROM events WHERE seq = 2');
      expect((await openError(path)).position).toBe(2);
      const db = new Database(path);
      expect(db.prepare('SELECT seq FROM events').pluck().all()).toEqual([1, 3, 4, 5]);
      db.close();
    });

    it('opens without checking when asked, and verify() reports the damage', async () => {
      const path = await logWith(4);
      raw(path, "UPDATE events SET type = 'scheduler.stopped' WHERE seq = 4");
      const store = await sqliteStore({ path, clock, verifyOnOpen: false });
      expect(await store.verify()).toMatchObject({ ok: false, entries: 3, firstBadSeq: 4 });
      await store.close();
    });
  });

  describe('repairLog', () => {
    it('backs the file up, keeps the entries before the damage, and the result verifies', async () => {
      const path = await logWith(6);
      raw(path, 'DELETE FROM events WHERE seq = 4');
      const result = await repairLog(path, { clock });
      expect(result).toEqual({
        backupPath: `${path}.bak-20260302T080000000Z`,
        keptEntries: 3,
        removedEntries: 2,
      });
      const backup = new Database(result.backupPath, { readonly: true });
      expect(backup.prepare('SELECT seq FROM events').pluck().all()).toEqual([1, 2, 3, 5, 6]);
      backup.close();
      const store = await sqliteStore({ path, clock });
      expect(await store.verify()).toMatchObject({ ok: true, entries: 3 });
      expect((await store.append([started('again')]))[0]!.seq).toBe(4);
      await store.close();
    });

    it('removes nothing from a log that verifies, but still writes the backup first', async () => {
      const path = await logWith(3);
      const result = await repairLog(path, { clock });
      expect(result).toMatchObject({ keptEntries: 3, removedEntries: 0 });
      expect(existsSync(result.backupPath)).toBe(true);
      const second = await repairLog(path, { clock });
      expect(second.backupPath).toBe(`${result.backupPath}-2`);
    });

    it('refuses a missing log and an existing backup path', async () => {
      const error = await rejection(repairLog(join(tmpdir(), 'planflow-no-such-log.db')));
      expect(isPlanflowError(error, 'planflow:invalid-options')).toBe(true);
      const path = await logWith(1);
      const taken = await rejection(repairLog(path, { backupPath: path }));
      expect(isPlanflowError(taken, 'planflow:invalid-options')).toBe(true);
    });
  });

  describe('the unique trigger index', () => {
    it('rejects a raw second occurrence.triggered for a stream, not other repeats', async () => {
      const path = await logWith(0);
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
