import type { SegmentRecord } from './ArchivingStore.js';

/**
 * A `segments` table row as the SQLite and PostgreSQL stores read and write it, in the
 * order of {@link SEGMENT_COLUMNS}.
 */
export type SegmentRow = [
  lastSeq: number,
  firstSeq: number,
  count: number,
  firstPrevHash: string,
  lastHash: string,
  sha256: string,
  file: string,
  dir: string,
  bytes: number,
  factSeq: number,
  archivedAt: string,
];

/** The `segments` table's columns, in {@link SegmentRow}'s order. */
export const SEGMENT_COLUMNS =
  'last_seq, first_seq, count, first_prev_hash, last_hash, sha256, file, dir, bytes, fact_seq, archived_at';

/** The record a row stands for. */
export const segmentRowToRecord = (row: SegmentRow): SegmentRecord =>
  Object.freeze({
    firstSeq: row[1],
    lastSeq: row[0],
    count: row[2],
    firstPrevHash: row[3],
    lastHash: row[4],
    sha256: row[5],
    file: row[6],
    dir: row[7],
    bytes: row[8],
    factSeq: row[9],
    archivedAt: row[10],
  });

/** The row a record is stored as. */
export const segmentRecordToRow = (r: SegmentRecord): SegmentRow => [
  r.lastSeq,
  r.firstSeq,
  r.count,
  r.firstPrevHash,
  r.lastHash,
  r.sha256,
  r.file,
  r.dir,
  r.bytes,
  r.factSeq,
  r.archivedAt,
];
