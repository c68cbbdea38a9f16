import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CorruptLogError, isPlanflowError } from '../../src/domain/errors.js';
import { LOG_SCHEMA_VERSION, logMigrations, migrate } from '../../src/sqlite/migrations.js';
import { sqliteStore } from '../../src/sqlite/sqliteStore.js';
import { inlineView, rebuiltView } from '../helpers/projectionViews.js';
import { clock, logWith, raw, rejection, useTempLogPaths } from '../helpers/sqliteFixtures.js';

/** A log written by the main branch before the read model moved into the store (schema 1). */
const V1_LOG = new URL('../fixtures/logs/v1-written-by-899f0b1.db', import.meta.url);
/** What that main branch's `EventLog.fold(store).snapshot()` answered for it. */
const V1_MODEL = JSON.parse(
  readFileSync(
    new URL('../fixtures/logs/v1-written-by-899f0b1.model.json', import.meta.url),
    'utf8',
  ),
) as {
  lastSeq: number;
  status: string;
  calendar: unknown;
  tasks: unknown[];
  occurrences: unknown[];
  executions: unknown[];
};

const newPath = useTempLogPaths();

describe('sqliteStore', () => {
  describe('converting a log written before the read model moved into the store', () => {
    it('fills the read model from the entries, answering what the old fold answered', async () => {
      const path = newPath();
      copyFileSync(V1_LOG, path);
      expect(new Database(path, { readonly: true }).pragma('user_version', { simple: true })).toBe(
        1,
      );
      const store = await sqliteStore({ path, clock });
      try {
        const view = await inlineView(store);
        expect(view.live.head.seq).toBe(V1_MODEL.lastSeq);
        expect(view.live.status).toBe(V1_MODEL.status);
        expect(view.live.calendar).toEqual(V1_MODEL.calendar);
        expect(view.live.tasks).toEqual(V1_MODEL.tasks);
        expect(view.records.map((r) => r.occurrence)).toEqual(V1_MODEL.occurrences);
        expect(view.records.map((r) => r.execution)).toEqual(V1_MODEL.executions);
        expect(view).toEqual(await rebuiltView(store));
        expect(await store.verify()).toMatchObject({ ok: true, entries: V1_MODEL.lastSeq });
        // History is answered from the new index, for every task the log ever had.
        const removed = await store.queryHistory({ taskId: 'gone', limit: 100, descending: false });
        expect(removed.items.map((e) => e.type)).toEqual([
          'task.defined',
          'occurrence.scheduled',
          'task.removed',
          'occurrence.cancelled',
        ]);
      } finally {
        await store.close();
      }
      const db = new Database(path, { readonly: true });
      expect(db.pragma('user_version', { simple: true })).toBe(LOG_SCHEMA_VERSION);
      db.close();
    });
  });

  describe('schema versions', () => {
    it('creates the newest schema, marked as a PlanFlow log, in WAL mode', async () => {
      const path = await logWith(newPath(), 0);
      const db = new Database(path);
      expect(db.pragma('user_version', { simple: true })).toBe(LOG_SCHEMA_VERSION);
      expect(db.pragma('application_id', { simple: true })).toBe(0x506c466c);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      db.close();
    });

    it('refuses a file written by a newer PlanFlow and leaves it unchanged', async () => {
      const path = await logWith(newPath(), 2);
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
      const path = await logWith(newPath(), 1);
      const db = new Database(path);
      // Numbered after the real steps, so the test holds whatever steps the schema has.
      const next = LOG_SCHEMA_VERSION + 1;
      const v2 = {
        version: next,
        description: 'test: add a column',
        up: (d: Database.Database) => d.exec('ALTER TABLE events ADD COLUMN note TEXT'),
      };
      const v3 = {
        version: next + 1,
        description: 'test: fails half way',
        up: (d: Database.Database) => {
          d.exec('CREATE TABLE half (x)');
          throw new Error('step 3 failed');
        },
      };
      expect(() => migrate(db, path, [...logMigrations, v2, v3])).toThrowError('step 3 failed');
      expect(db.pragma('user_version', { simple: true })).toBe(next);
      expect(
        db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'half'").get(),
      ).toEqual({ n: 0 });
      expect(migrate(db, path, [...logMigrations, v2])).toEqual({ from: next, to: next });
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
        isPlanflowError(await rejection(sqliteStore({ path: foreign })), 'planflow:not-a-log'),
      ).toBe(true);
      const garbage = newPath();
      writeFileSync(garbage, Buffer.alloc(8192, 0x5a));
      const error = await rejection(sqliteStore({ path: garbage }));
      expect(error).toBeInstanceOf(CorruptLogError);
      expect(readFileSync(garbage).equals(Buffer.alloc(8192, 0x5a))).toBe(true);
    });
  });
});
