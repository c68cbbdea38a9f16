import { existsSync } from 'node:fs';
import { ValidationError } from '../domain/errors.js';
import type { StoreClock } from '../log/EventStore.js';
import { resolveStoreClock } from '../log/storeOptions.js';
import { prepareLogStatements } from './logStatements.js';
import { openLogDatabase } from './openLogDatabase.js';
import { corruptLogError, verifyLogRows } from './verifyLog.js';

const COMPONENT = 'repairLog';

/** Options of {@link repairLog}. */
export type RepairOptions = Readonly<{
  /** Where to write the backup. @default `<path>.bak-<UTC timestamp>` */
  backupPath?: string;
  /** Time source for the default backup name. @default Date.now */
  clock?: StoreClock;
}>;

/** What {@link repairLog} did. */
export type RepairResult = Readonly<{
  /** The full copy of the file as it was before the repair. */
  backupPath: string;
  /** Entries 1..keptEntries remain; they all verify. */
  keptEntries: number;
  /** Entries deleted from the first invalid one on (0 when the log already verified). */
  removedEntries: number;
}>;

function defaultBackupPath(path: string, clock: StoreClock): string {
  const stamp = new Date(clock.now()).toISOString().replace(/[-:.]/g, '');
  let candidate = `${path}.bak-${stamp}`;
  for (let n = 2; existsSync(candidate); n++) candidate = `${path}.bak-${stamp}-${n}`;
  return candidate;
}

/**
 * Makes a log that fails verification usable again, keeping everything that can still be
 * trusted: a complete backup is written first, then every entry from the first one that
 * does not verify onwards is deleted. The chain up to that point is proven intact, and what
 * was removed stays in the backup for inspection.
 *
 * Close every store using the file first: the repair rewrites the tail under them.
 *
 * @example
 * const { backupPath, keptEntries, removedEntries } = await repairLog('planflow.db');
 */
export async function repairLog(path: string, options?: RepairOptions): Promise<RepairResult> {
  if (typeof path !== 'string' || path.length === 0 || !existsSync(path)) {
    throw new ValidationError(
      'planflow:invalid-options',
      'path',
      `${COMPONENT}: path must name an existing PlanFlow log file, got ${JSON.stringify(path)}`,
    );
  }
  const clock = resolveStoreClock(COMPONENT, options?.clock);
  const backupPath = options?.backupPath ?? defaultBackupPath(path, clock);
  if (existsSync(backupPath)) {
    throw new ValidationError(
      'planflow:invalid-options',
      'backupPath',
      `${COMPONENT}: backupPath "${backupPath}" already exists; choose a new name so no earlier backup is overwritten`,
    );
  }
  const db = openLogDatabase(path, 'FULL');
  try {
    // SQLite's online backup copies the log as this connection sees it, WAL included.
    await db.backup(backupPath);
    const statements = prepareLogStatements(db);
    const before = await verifyLogRows(statements);
    if (before.ok) return { backupPath, keptEntries: before.entries, removedEntries: 0 };

    const removed = db.prepare('DELETE FROM events WHERE seq >= ?').run(before.firstBadSeq);
    const after = await verifyLogRows(statements);
    const stillBad = corruptLogError(COMPONENT, path, after);
    if (stillBad !== undefined) throw stillBad;
    return { backupPath, keptEntries: after.entries, removedEntries: removed.changes };
  } finally {
    db.close();
  }
}
