import type Database from 'better-sqlite3';
import type { SegmentRecord } from '../log/ArchivingStore.js';
import { type EntryRow, rowToStoredEvent } from '../log/entryRow.js';
import { segmentFactFinding } from '../log/segmentFactFinding.js';
import type { VerifyResult } from '../log/verifyChain.js';

/**
 * Checks the newest segment record of an SQLite log against its `log.archived` entry (see
 * `segmentFactFinding`).
 */
export function segmentFactProblem(
  db: Database.Database,
  segment: SegmentRecord | undefined,
): VerifyResult | undefined {
  if (segment === undefined) return undefined;
  const last = db.prepare<[], number | null>('SELECT max(seq) FROM events').pluck().get() ?? 0;
  if (last < segment.factSeq) return undefined;
  const row = db
    .prepare<[number], EntryRow>(
      'SELECT seq, id, type, time, stream, data, schema_version, prev_hash, hash FROM events WHERE seq = ?',
    )
    .raw()
    .get(segment.factSeq);
  return segmentFactFinding(segment, last, row === undefined ? undefined : rowToStoredEvent(row));
}
