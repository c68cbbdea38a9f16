import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { CorruptLogError } from '../domain/errors.js';
import { type EntryRow, rowToStoredEvent } from '../log/entryRow.js';
import type { StoredEvent } from '../log/events.js';
import { readArchive } from '../log/readArchive.js';
import { pruneArchived } from './pruneArchived.js';
import { GENESIS_HEAD, liveStartReader, prepareSegmentTable } from './segmentTable.js';
import { SqliteProjection } from './sqliteProjection.js';

/** Entries per batch while rebuilding. */
const BATCH = 500;

/**
 * The segment files of an archived log, found where their records say (or in `archiveDir`).
 * @throws CorruptLogError naming the first one missing and how to point at it.
 */
export function segmentFiles(
  db: Database.Database,
  component: string,
  path: string,
  archiveDir?: string,
): string[] {
  const files = prepareSegmentTable(db)
    .all()
    .map((record) => join(archiveDir ?? record.dir, record.file));
  const missing = files.find((file) => !existsSync(file));
  if (missing !== undefined) {
    throw new CorruptLogError(
      1,
      `${component}: the log at "${path}" starts after archive segments, and its read model is rebuilt from them too, but "${missing}" is missing. Nothing was changed; put the segments back there, or pass archiveDir (planflow repair --archive-dir <dir>) naming the directory that holds them`,
      { damage: 'file', path },
    );
  }
  return files;
}

/**
 * Folds `entries` into the tables in runs ending at each `log.archived` entry, taking what
 * that archive run settled out right where it stands, as the run did in its transaction.
 */
function fold(
  db: Database.Database,
  projection: SqliteProjection,
  entries: readonly StoredEvent[],
  setTask: Database.Statement<[string | null, number]> | undefined,
): void {
  let from = 0;
  while (from < entries.length) {
    let to = entries.findIndex((entry, i) => i >= from && entry.type === 'log.archived');
    to = to < 0 ? entries.length : to + 1;
    const run = entries.slice(from, to);
    const changes = projection.project(run);
    if (setTask !== undefined) {
      changes.taskIds.forEach((taskId, i) => {
        setTask.run(taskId, run[i]!.seq);
      });
    }
    projection.write(changes, run[0]!.seq);
    const last = run[run.length - 1]!;
    if (last.type === 'log.archived') pruneArchived(db, last.data);
    from = to;
  }
}

/**
 * Rebuilds the read model tables from scratch — the archived entries (from `segments`, in
 * order) and then every entry in the file — in one transaction of the caller's connection,
 * which must have the file to itself (the segments are read asynchronously meanwhile).
 * Equal to what the inline projection and the archive runs left, by construction: the same
 * fold, and the same pruning at each `log.archived` entry. Repairs use it; a log never
 * archived needs no segments.
 */
export async function rebuildReadModel(
  db: Database.Database,
  segments: readonly string[],
  site: Readonly<{ component: string; path: string }>,
): Promise<void> {
  const { component, path } = site;
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('DELETE FROM occurrences; DELETE FROM tasks; DELETE FROM log_state;');
    const projection = new SqliteProjection(db);
    let reached = GENESIS_HEAD;
    for await (const batch of readArchive(segments, { batchSize: BATCH })) {
      if (reached.seq === 0 && batch[0]!.prevHash !== GENESIS_HEAD.hash) break;
      fold(db, projection, batch, undefined);
      const last = batch[batch.length - 1]!;
      reached = { seq: last.seq, hash: last.hash };
    }
    const start = liveStartReader(db)();
    if (reached.seq !== start.seq || reached.hash !== start.hash) {
      throw new CorruptLogError(
        reached.seq + 1,
        `${component}: the segments given for "${path}" do not hold the archived entries 1..${start.seq} its live log starts after (they reach entry #${reached.seq}); nothing was changed — pass the directory with every segment of this log`,
        { damage: 'file', path },
      );
    }
    const page = db
      .prepare<[number, number], EntryRow>(
        'SELECT seq, id, type, time, stream, data, schema_version, prev_hash, hash FROM events WHERE seq > ? ORDER BY seq LIMIT ?',
      )
      .raw();
    const setTask = db.prepare<[string | null, number]>(
      'UPDATE events SET task_id = ? WHERE seq = ?',
    );
    for (let after = 0; ; ) {
      const rows = page.all(after, BATCH);
      if (rows.length === 0) break;
      fold(db, projection, rows.map(rowToStoredEvent), setTask);
      after = rows[rows.length - 1]![0];
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
