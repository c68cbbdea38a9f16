import type Database from 'better-sqlite3';
import type { LogHead } from '../log/EventStore.js';
import type { EntryRow } from '../log/entryRow.js';
import type { SealedEntry } from '../log/prepareAppend.js';
import { liveStartReader } from './segmentTable.js';

/** One `events` row in column order, as `raw()` statements return it. */

/**
 * Every statement a store runs, prepared once per connection. Preparing is the costly part
 * of a small statement, and group commit runs thousands of inserts per second.
 */
export type LogStatements = Readonly<{
  insert: Database.Statement<[...EntryRow, taskId: string | null]>;
  head: Database.Statement<[], [number, string]>;
  page: Database.Statement<[number, number, number], EntryRow>;
  begin: Database.Statement<[]>;
  commit: Database.Statement<[]>;
  rollback: Database.Statement<[]>;
  savepoint: Database.Statement<[]>;
  release: Database.Statement<[]>;
  rollbackToSavepoint: Database.Statement<[]>;
  /**
   * Where the live log starts: the end of the newest archive segment (the first entry in the
   * table chains to it), or genesis for a log that was never archived.
   */
  start: () => LogHead;
}>;

/** Prepares {@link LogStatements} on an open, migrated connection. */
export function prepareLogStatements(db: Database.Database): LogStatements {
  return Object.freeze({
    insert: db.prepare<[...EntryRow, taskId: string | null]>(
      'INSERT INTO events (seq, id, type, time, stream, data, schema_version, prev_hash, hash, task_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    head: db
      .prepare<[], [number, string]>('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1')
      .raw(),
    page: db
      .prepare<[number, number, number], EntryRow>(
        'SELECT seq, id, type, time, stream, data, schema_version, prev_hash, hash FROM events WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT ?',
      )
      .raw(),
    // IMMEDIATE takes the write lock up front, so the head read inside the transaction stays
    // the head until commit even when another connection shares the file.
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    savepoint: db.prepare('SAVEPOINT append_call'),
    release: db.prepare('RELEASE append_call'),
    rollbackToSavepoint: db.prepare('ROLLBACK TO append_call'),
    start: liveStartReader(db),
  });
}

/**
 * The committed head, read from the file (another connection may have appended). With no
 * entry in the table it is where the live log starts: genesis, or the end of the newest
 * archive segment.
 */
export function readHead(statements: LogStatements): LogHead {
  const row = statements.head.get();
  return row === undefined ? statements.start() : { seq: row[0], hash: row[1] };
}

/** Writes one sealed entry, with the task it is about (for history queries). */
export function insertEntry(
  statements: LogStatements,
  entry: SealedEntry,
  taskId: string | null,
): void {
  statements.insert.run(
    entry.seq,
    entry.id,
    entry.type,
    entry.time,
    entry.stream,
    entry.dataJson,
    entry.schemaVersion,
    entry.prevHash,
    entry.hash,
    taskId,
  );
}

/** `toSeq` for "to the end" as SQLite can bind it. */
export const boundSeq = (toSeq: number): number =>
  Number.isFinite(toSeq) ? toSeq : Number.MAX_SAFE_INTEGER;

/** One page of rows in seq order, at most `limit` long. */
export function readPage(
  statements: LogStatements,
  fromSeq: number,
  toSeq: number,
  limit: number,
): EntryRow[] {
  return statements.page.all(fromSeq, boundSeq(toSeq), limit);
}
