import { existsSync, statSync } from 'node:fs';
import { CorruptLogError, StorageError, ValidationError } from '../domain/errors.js';
import type { StoreClock } from '../log/EventStore.js';
import { resolveStoreClock } from '../log/storeOptions.js';
import { integrityProblems } from './integrityProblems.js';
import { prepareLogStatements } from './logStatements.js';
import { type LogDatabase, openLogDatabase } from './openLogDatabase.js';
import { rebuildLog, settleRebuilt } from './rebuildLog.js';
import { segmentFiles } from './rebuildReadModel.js';
import { settleCheckpoints } from './settleCheckpoints.js';
import { guarded, storageFault } from './storageFault.js';
import { corruptLogError, verifyLogRows } from './verifyLog.js';

const COMPONENT = 'repairLog';

/** Options of {@link repairLog}. */
export type RepairOptions = Readonly<{
  /** Where to write the backup. @default `<path>.bak-<UTC timestamp>` */
  backupPath?: string;
  /** Time source for the default backup name. @default Date.now */
  clock?: StoreClock;
  /**
   * Where the log's archive segments are, when it was archived and they were moved from
   * where the archive runs wrote them: its read model is rebuilt from them too.
   * @default the directory each segment was written to
   */
  archiveDir?: string;
}>;

/** What {@link repairLog} did. */
export type RepairResult = Readonly<{
  /** The full copy of the file as it was before the repair. */
  backupPath: string;
  /**
   * `none`: the log verified and its entries were left as they were (signed checkpoints
   * contradicting them, after a lost tail, are still moved to the backup: see `problems`);
   * `truncate`: entries from the first
   * invalid one on were deleted in place; `rebuild`: the SQLite file itself was damaged (a
   * missing or changed index, damaged pages), so the valid entries were copied into a fresh
   * file that replaced it.
   */
  method: 'none' | 'truncate' | 'rebuild';
  /** Entries 1..keptEntries remain (in the live log, or archived before it); they all verify. */
  keptEntries: number;
  /** Entries dropped from the first invalid or unreadable one on (0 when nothing was). */
  removedEntries: number;
  /** What was wrong, one sentence each (empty when nothing was). */
  problems: readonly string[];
}>;

function defaultBackupPath(path: string, clock: StoreClock): string {
  const stamp = new Date(clock.now()).toISOString().replace(/[-:.]/g, '');
  let candidate = `${path}.bak-${stamp}`;
  for (let n = 2; existsSync(candidate); n++) candidate = `${path}.bak-${stamp}-${n}`;
  return candidate;
}

function checkPath(path: string): void {
  if (typeof path !== 'string' || path.length === 0 || !existsSync(path)) {
    throw new ValidationError(
      'planflow:invalid-options',
      'path',
      `${COMPONENT}: path must name an existing PlanFlow log file, got ${JSON.stringify(path)}`,
    );
  }
  if (statSync(path).size === 0) {
    throw new StorageError(
      'planflow:not-a-log',
      `${COMPONENT}: "${path}" is an empty file (0 bytes), not a PlanFlow log; there is nothing to repair — delete it, or create a log there (planflow init)`,
      { path },
    );
  }
}

/** Opens the file for repair, or says what in the file needs a rebuild instead. */
function openForRepair(path: string): LogDatabase | readonly string[] {
  let log: LogDatabase;
  try {
    log = openLogDatabase(path, {
      component: COMPONENT,
      synchronous: 'FULL',
      readOnly: false,
      allowDamagedSchema: true,
    });
  } catch (error) {
    if (error instanceof CorruptLogError && error.damage === 'file') return [error.message];
    throw error;
  }
  const problems = [
    ...log.schemaProblems,
    ...guarded({ component: COMPONENT, path, operation: 'check' }, () => integrityProblems(log.db)),
  ];
  if (problems.length === 0) return log;
  log.close();
  return problems;
}

/** Deletes every entry from the first one that fails verification on, in place. */
async function truncate(
  log: LogDatabase,
  path: string,
  backupPath: string,
  archiveDir: string | undefined,
): Promise<RepairResult> {
  // An archived log's read model is rebuilt from its segments too: find them before anything.
  const files = segmentFiles(log.db, COMPONENT, path, archiveDir);
  // SQLite's online backup copies the log as this connection sees it, WAL included.
  await log.db.backup(backupPath);
  const statements = prepareLogStatements(log.db);
  const site = { component: COMPONENT, path };
  const before = await verifyLogRows(statements);
  if (before.ok) {
    // Rows removed from the end leave a chain that verifies but a read model and a verified
    // mark that name them: both are rebuilt from what is there.
    await settleRebuilt(log.db, before, files, site);
    return {
      backupPath,
      method: 'none',
      keptEntries: before.entries,
      removedEntries: 0,
      problems: [],
    };
  }
  const removed = log.db.prepare('DELETE FROM events WHERE seq >= ?').run(before.firstBadSeq);
  const after = await verifyLogRows(statements);
  const stillBad = corruptLogError(COMPONENT, path, after);
  if (stillBad !== undefined) throw stillBad;
  await settleRebuilt(log.db, after, files, site);
  return {
    backupPath,
    method: 'truncate',
    keptEntries: after.entries,
    removedEntries: removed.changes,
    problems: [`entry #${before.firstBadSeq}: ${before.reason}`],
  };
}

/**
 * Makes a log that fails verification usable again, keeping everything that can still be
 * trusted; a complete backup is written first and what was dropped stays in it.
 *
 * - A broken hash chain in a sound file: every entry from the first one that does not
 *   verify onwards is deleted in place.
 * - Damage below the chain — a missing or changed index (such as the one that keeps an
 *   occurrence from triggering twice), damaged SQLite pages: every readable entry that
 *   verifies, in seq order up to the first one that cannot be read or does not verify, is
 *   copied into a fresh file with the right schema, which replaces the original (kept byte
 *   for byte as the backup). A second `occurrence.triggered` that got in while the index was
 *   off ends the copy. When nothing can be recovered it throws a `CorruptLogError` saying why
 *   and leaves the file as it was.
 *
 * Close every store using the file first: the repair rewrites the file under them.
 *
 * @example
 * const { backupPath, method, keptEntries, removedEntries } = await repairLog('planflow.db');
 */
export async function repairLog(path: string, options?: RepairOptions): Promise<RepairResult> {
  checkPath(path);
  const clock = resolveStoreClock(COMPONENT, options?.clock);
  const backupPath = options?.backupPath ?? defaultBackupPath(path, clock);
  if (existsSync(backupPath)) {
    throw new ValidationError(
      'planflow:invalid-options',
      'backupPath',
      `${COMPONENT}: backupPath "${backupPath}" already exists; choose a new name so no earlier backup is overwritten`,
    );
  }
  const opened = openForRepair(path);
  let result: RepairResult;
  if (!('db' in opened)) {
    const outcome = await rebuildLog(COMPONENT, path, backupPath, opened, options?.archiveDir);
    result = { backupPath, method: 'rebuild', ...outcome };
  } else {
    try {
      result = await truncate(opened, path, backupPath, options?.archiveDir);
    } catch (error) {
      throw storageFault(error, { component: COMPONENT, path, operation: 'repair' });
    } finally {
      opened.close();
    }
  }
  // Signed checkpoints that contradict what was kept go to the backup (docs/security.md).
  const setAside = guarded({ component: COMPONENT, path, operation: 'repair' }, () =>
    settleCheckpoints(COMPONENT, path, backupPath),
  );
  return setAside.length === 0
    ? result
    : { ...result, problems: [...result.problems, ...setAside] };
}
