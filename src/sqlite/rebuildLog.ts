import { constants, copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { CorruptLogError } from '../domain/errors.js';
import type { SegmentRecord } from '../log/ArchivingStore.js';
import type { EntryRow } from '../log/entryRow.js';
import { syncDirectory } from '../log/syncDirectory.js';
import type { VerifyResult } from '../log/verifyChain.js';
import { integrityProblems } from './integrityProblems.js';
import { loadBetterSqlite3 } from './loadBetterSqlite3.js';
import { prepareLogStatements, readPage } from './logStatements.js';
import { openLogDatabase } from './openLogDatabase.js';
import { rebuildReadModel, segmentFiles } from './rebuildReadModel.js';
import { prepareSegmentTable } from './segmentTable.js';
import { guarded } from './storageFault.js';
import { VerifiedMark } from './VerifiedMark.js';
import { verifyLogRows } from './verifyLog.js';

/** What {@link rebuildLog} kept and why it dropped the rest. */
export type RebuildOutcome = Readonly<{
  keptEntries: number;
  removedEntries: number;
  /** What was wrong with the old file, and why entries were dropped. */
  problems: readonly string[];
}>;

const COPY_PAGE = 500;

/** The archive segments the damaged file records (none when that table cannot be read). */
function archivedSegments(db: Database.Database): readonly SegmentRecord[] {
  try {
    return prepareSegmentTable(db).all();
  } catch {
    return [];
  }
}

/** The highest seq the damaged table still answers for, or undefined when it cannot. */
function lastSeqOf(db: Database.Database): number | undefined {
  try {
    return (db.prepare('SELECT max(seq) FROM events').pluck().get() as number | null) ?? 0;
  } catch {
    return undefined;
  }
}

function cannotRepair(component: string, path: string, why: string, cause?: unknown) {
  return new CorruptLogError(
    1,
    `${component}: cannot repair "${path}": ${why}. The file was left as it was; restore it from a backup (or a copy of another node's log)`,
    { damage: 'file', path, ...(cause === undefined ? {} : { cause }) },
  );
}

/**
 * Copies rows `from`+1..`upTo` of `source` (the live log, after its archive segments) into
 * the fresh log in seq order, one transaction per page. The fresh file's unique index refuses a second `occurrence.triggered` for a stream
 * (one that got in while the old file's index was missing or damaged): the copy stops
 * before it, since skipping one entry would break the chain for all that follow.
 */
function copyRows(
  source: Database.Database,
  target: Database.Database,
  from: number,
  upTo: number,
): Readonly<{ copied: number; duplicate?: EntryRow }> {
  const read = prepareLogStatements(source);
  const write = prepareLogStatements(target);
  let copied = 0;
  let pageSize = COPY_PAGE;
  while (from + copied < upTo) {
    let rows: EntryRow[];
    try {
      rows = readPage(read, from + copied + 1, upTo, pageSize);
    } catch (error) {
      // Stepping past the last readable row can touch the damaged page: go row by row.
      if (pageSize === 1) throw error;
      pageSize = 1;
      continue;
    }
    if (rows.length === 0) break;
    let duplicate: EntryRow | undefined;
    target.transaction(() => {
      for (const row of rows) {
        try {
          write.insert.run(...row, null);
        } catch (error) {
          if (
            !(error instanceof loadBetterSqlite3().SqliteError) ||
            error.code !== 'SQLITE_CONSTRAINT_UNIQUE'
          ) {
            throw error;
          }
          duplicate = row;
          return;
        }
        copied++;
      }
    })();
    if (duplicate !== undefined) return { copied, duplicate };
  }
  return { copied };
}

/**
 * Rebuilds the read model of a file whose entries were just copied or cut back (from its
 * archive `segments` too, when it has any), then marks the chain it verified.
 */
export async function settleRebuilt(
  db: Database.Database,
  verified: VerifyResult,
  segments: readonly string[],
  site: Readonly<{ component: string; path: string }>,
): Promise<void> {
  await rebuildReadModel(db, segments, site);
  if (verified.ok) new VerifiedMark(db).advance({ seq: verified.entries, hash: verified.headHash });
}

/**
 * Repairs a log whose SQLite file is damaged below the hash chain — a missing or changed
 * index, damaged pages — where deleting a tail in place cannot help. The original file (and
 * its WAL) is copied byte for byte to `backupPath`; every entry that can still be read and
 * verifies, in seq order up to the first one that cannot or does not, is copied into a fresh
 * file with the right schema; that file is verified and then renamed over the original.
 *
 * Throws a {@link CorruptLogError} saying why when nothing can be recovered (the table
 * cannot be read at all, or not one entry is readable and valid); the file is then left as
 * it was and no backup is kept.
 */
export async function rebuildLog(
  component: string,
  path: string,
  backupPath: string,
  problems: readonly string[],
  archiveDir: string | undefined,
): Promise<RebuildOutcome> {
  const site = (operation: string) => ({ component, path, operation });
  const fresh = `${path}.rebuild-${process.pid}`;
  let source: Database.Database | undefined;
  let backedUp = false;
  let replaced = false;
  try {
    source = guarded(
      site('read'),
      () => new (loadBetterSqlite3())(path, { readonly: true, fileMustExist: true }),
    );
    let statements: ReturnType<typeof prepareLogStatements>;
    try {
      statements = prepareLogStatements(source);
    } catch (error) {
      throw cannotRepair(
        component,
        path,
        `SQLite cannot read its events table (${(error as Error).message})`,
        error,
      );
    }
    // An archived log keeps its segments: the fresh file starts after them too.
    const segments = archivedSegments(source);
    const files = segments.length === 0 ? [] : segmentFiles(source, component, path, archiveDir);
    const start = statements.start();
    const valid = await verifyLogRows(statements);
    const lastSeq = lastSeqOf(source);
    const readable = valid.entries;
    if (readable === 0 && (lastSeq === undefined || lastSeq > 0 || !valid.ok)) {
      throw cannotRepair(
        component,
        path,
        `not one entry is readable and valid (${valid.ok ? 'the table cannot be read' : valid.reason})`,
      );
    }
    guarded(site('back up'), () => {
      copyFileSync(path, backupPath, constants.COPYFILE_EXCL);
      backedUp = true;
      if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${backupPath}-wal`);
    });
    const target = openLogDatabase(fresh, { component, synchronous: 'FULL', readOnly: false });
    let copy: ReturnType<typeof copyRows>;
    try {
      const table = prepareSegmentTable(target.db);
      target.db.transaction(() => {
        for (const segment of segments) table.insert(segment);
      })();
      copy = guarded(site('rebuild'), () => copyRows(source!, target.db, start.seq, readable));
      const check = await verifyLogRows(prepareLogStatements(target.db));
      const damage = integrityProblems(target.db);
      if (!check.ok || check.entries !== start.seq + copy.copied || damage.length > 0) {
        throw cannotRepair(component, path, 'the rebuilt copy did not verify');
      }
      await settleRebuilt(target.db, check, files, { component, path });
    } finally {
      target.close();
    }
    source.close();
    source = undefined;
    const dropped = [...problems];
    if (!valid.ok) dropped.push(`entry #${valid.firstBadSeq} and after: ${valid.reason}`);
    if (copy.duplicate !== undefined) {
      dropped.push(
        `entry #${copy.duplicate[0]} is a second occurrence.triggered for stream "${copy.duplicate[4]}", stored while the unique index was not enforcing at-most-once; it and every entry after it were dropped`,
      );
    }
    guarded(site('replace'), () => {
      // The old WAL must go before the rename: SQLite would replay it onto the new file.
      for (const side of [`${path}-wal`, `${path}-shm`]) rmSync(side, { force: true });
      renameSync(fresh, path);
      replaced = true;
    });
    syncDirectory(dirname(path));
    const known = Math.max(lastSeq ?? 0, readable);
    const kept = start.seq + copy.copied;
    return {
      keptEntries: kept,
      removedEntries: Math.max(0, known - kept),
      problems: dropped,
    };
  } finally {
    source?.close();
    for (const file of [fresh, `${fresh}-wal`, `${fresh}-shm`]) rmSync(file, { force: true });
    // The original is untouched when the swap did not happen, so its copy would only clutter.
    if (backedUp && !replaced) {
      for (const file of [backupPath, `${backupPath}-wal`]) rmSync(file, { force: true });
    }
  }
}
