import type Database from 'better-sqlite3';
import type { SegmentRecord } from '../log/ArchivingStore.js';
import { type EntryRow, rowToStoredEvent } from '../log/entryRow.js';
import { factMismatch } from '../log/factMismatch.js';
import type { VerifyResult } from '../log/verifyChain.js';

/**
 * Checks the newest segment record against its `log.archived` entry, which the live log
 * holds: the live chain is checked from that record's end hash, so a record edited to start
 * the chain elsewhere must not pass. A finding is a `segment` problem at the record's fact.
 */
export function segmentFactProblem(
  db: Database.Database,
  segment: SegmentRecord | undefined,
): VerifyResult | undefined {
  if (segment === undefined) return undefined;
  // A log cut back before the fact (a repair that accepted a lost tail) has no fact to
  // compare: the records stand on the segments, which verifyArchive checks.
  const last = db.prepare<[], number | null>('SELECT max(seq) FROM events').pluck().get() ?? 0;
  if (last < segment.factSeq) return undefined;
  const row = db
    .prepare<[number], EntryRow>(
      'SELECT seq, id, type, time, stream, data, schema_version, prev_hash, hash FROM events WHERE seq = ?',
    )
    .raw()
    .get(segment.factSeq);
  const reason = factMismatch(segment, row === undefined ? undefined : rowToStoredEvent(row));
  if (reason === undefined) return undefined;
  return {
    ok: false,
    entries: segment.lastSeq,
    firstBadSeq: segment.lastSeq + 1,
    problem: 'segment',
    reason,
  };
}
