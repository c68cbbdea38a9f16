import type Database from 'better-sqlite3';
import { CorruptLogError } from '../domain/errors.js';
import { loadBetterSqlite3 } from './loadBetterSqlite3.js';

/** At most this many problems are collected: the first few say what is wrong. */
const MAX_REPORTED = 10;

/**
 * What SQLite's `PRAGMA integrity_check` finds wrong with the file's pages: B-tree
 * structure, and that every index holds exactly the rows of its table with no duplicate in
 * a unique index. `quick_check` is cheaper but skips the index-against-table comparison,
 * which is what catches a damaged one-trigger index (measured in docs/storage.md: it missed
 * 91 % of single-byte flips inside that index that integrity_check caught). Empty when the
 * file is sound.
 */
export function integrityProblems(db: Database.Database): string[] {
  let rows: string[];
  try {
    rows = db.prepare(`PRAGMA integrity_check(${MAX_REPORTED})`).pluck().all() as string[];
  } catch (error) {
    if (error instanceof loadBetterSqlite3().SqliteError && /CORRUPT|NOTADB/.test(error.code)) {
      return [`SQLite cannot even check the file (${error.code}: ${error.message})`];
    }
    throw error;
  }
  return rows.length === 1 && rows[0] === 'ok' ? [] : rows;
}

/** Refuses a file whose pages SQLite reports damaged, with the way out. */
export function integrityError(
  component: string,
  path: string,
  problems: readonly string[],
): CorruptLogError {
  return new CorruptLogError(
    1,
    `${component}: SQLite's integrity check of "${path}" fails: ${problems.join('; ')}. Its indexes (among them the one that keeps an occurrence from triggering twice) cannot be trusted; nothing was changed — run repairLog("${path}") (planflow repair) to copy every readable, valid entry into a fresh file and keep the original as a backup`,
    { damage: 'file', path },
  );
}
