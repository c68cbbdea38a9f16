import Database from 'better-sqlite3';
import type { NewEvent } from '../../src/log/events.js';
import { memoryStore } from '../../src/log/memoryStore.js';
import type { SynchronousMode } from '../../src/sqlite/index.js';
import { logMigrations, migrate } from '../../src/sqlite/index.js';

/** One `events` row in column order, exactly as PlanFlow's SQLite store writes it. */
export type Row = [number, string, string, string, string, string, number, string, string];

/**
 * The rows PlanFlow would write for `events` — seq, id, time, hash chain and the JSON text
 * included — built outside any timing, so the raw baseline inserts the very same bytes and
 * pays nothing but SQLite's own cost.
 */
export async function rowsFor(events: readonly NewEvent[]): Promise<Row[]> {
  const store = memoryStore();
  for (let i = 0; i < events.length; i += 10_000) await store.append(events.slice(i, i + 10_000));
  const rows: Row[] = [];
  for await (const batch of store.read()) {
    for (const e of batch) {
      rows.push([
        e.seq,
        e.id,
        e.type,
        e.time,
        e.stream,
        JSON.stringify(e.data),
        e.schemaVersion,
        e.prevHash,
        e.hash,
      ]);
    }
  }
  return rows;
}

/**
 * A plain better-sqlite3 connection to a file with PlanFlow's table and index (created by the
 * project's own migrations, so the baseline cannot drift from the real schema), WAL and the
 * given `synchronous` level.
 */
export function openRawDatabase(path: string, synchronous: SynchronousMode): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  migrate(db, path, logMigrations);
  return db;
}

/** The insert statement the raw baseline uses. */
export function prepareRawInsert(db: Database.Database): Database.Statement<Row> {
  return db.prepare<Row>(
    'INSERT INTO events (seq, id, type, time, stream, data, schema_version, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
}
