import type Database from 'better-sqlite3';
import type { ArchivedRange } from '../log/facts.js';

/**
 * `leavesReadModel` (src/log/leavesReadModel.ts) in SQL: the settled occurrences whose every
 * entry (the last history step) lies in the archived prefix and whose time is before the
 * cutoff. `first_seq` bounds the scan to the prefix; a settled row always has its execution
 * JSON (only waiting rows are kept compact).
 */
const PRUNE = `DELETE FROM occurrences
  WHERE first_seq <= ? AND live = 0 AND scheduled_ms < ?
    AND json_extract(execution, '$.history[#-1].seq') <= ?`;

/**
 * Takes what an archive run of `range` settled out of the read model tables, in the
 * caller's transaction: the run itself, and a rebuild where it meets the run's
 * `log.archived` entry. Returns how many occurrences left.
 */
export function pruneArchived(
  db: Database.Database,
  range: Pick<ArchivedRange, 'lastSeq' | 'occurrencesBefore'>,
): number {
  return db.prepare(PRUNE).run(range.lastSeq, Date.parse(range.occurrencesBefore), range.lastSeq)
    .changes;
}
