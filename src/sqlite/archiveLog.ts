import { statSync } from 'node:fs';
import type { ArchiveOptions, ArchiveResult } from '../log/ArchivingStore.js';
import type { SigningOptions } from '../log/checkpointOptions.js';
import type { StoreClock } from '../log/EventStore.js';
import { loadBetterSqlite3 } from './loadBetterSqlite3.js';
import { sqliteStore } from './sqliteStore.js';
import { guarded } from './storageFault.js';

/** Options of {@link archiveLog}: one run's options, and how to open the log for it. */
export type ArchiveLogOptions = ArchiveOptions &
  Readonly<{
    /** Time source (the fact's stamp, the default cutoff's "now"). @default Date.now */
    clock?: StoreClock;
    /**
     * Rebuild the file afterwards (SQLite `VACUUM`), so it shrinks by what was archived;
     * without it the freed pages are reused by later appends but the file keeps its size.
     * Needs free disk space of about the file's size left, and the log to itself meanwhile.
     * @default false
     */
    vacuum?: boolean;
  }> &
  SigningOptions;

/** What {@link archiveLog} did: the run, and the file's size around it. */
export type ArchiveLogResult = ArchiveResult &
  Readonly<{ bytesBefore: number; bytesAfter: number }>;

const COMPONENT = 'archiveLog';

const sizeOf = (path: string): number => {
  let bytes = 0;
  for (const file of [path, `${path}-wal`]) {
    try {
      bytes += statSync(file).size;
    } catch {
      // No -wal file: nothing to add.
    }
  }
  return bytes;
};

/**
 * Opens the log at `path`, archives the entries older than `options.before` into one
 * segment (see `SqliteStore.archive`), closes it and, with `vacuum`, compacts the file. What
 * `planflow archive` runs. Another process may keep appending meanwhile (not with `vacuum`).
 *
 * @example
 * import { archiveLog } from 'planflow/sqlite';
 * const { segment, prunedOccurrences } = await archiveLog('planflow.db', {
 *   before: new Date(Date.now() - 90 * 86_400_000),
 * });
 */
export async function archiveLog(
  path: string,
  options: ArchiveLogOptions,
): Promise<ArchiveLogResult> {
  const { clock, vacuum, signingKey, checkpointEvery, ...run } = options;
  const bytesBefore = sizeOf(path);
  const store = await sqliteStore({
    path,
    ...(clock === undefined ? {} : { clock }),
    ...(signingKey === undefined ? {} : { signingKey }),
    ...(checkpointEvery === undefined ? {} : { checkpointEvery }),
  });
  let result: ArchiveResult;
  try {
    result = await store.archive(run);
  } finally {
    await store.close();
  }
  if (vacuum === true && result.segment !== undefined) {
    guarded({ component: COMPONENT, path, operation: 'vacuum' }, () => {
      const db = new (loadBetterSqlite3())(path, { fileMustExist: true });
      try {
        db.exec('VACUUM');
        db.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        db.close();
      }
    });
  }
  return { ...result, bytesBefore, bytesAfter: sizeOf(path) };
}
