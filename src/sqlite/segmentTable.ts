import type Database from 'better-sqlite3';
import type { SegmentRecord } from '../log/ArchivingStore.js';
import type { LogHead } from '../log/EventStore.js';
import { GENESIS_HASH } from '../log/hashChain.js';
import {
  SEGMENT_COLUMNS,
  type SegmentRow,
  segmentRecordToRow,
  segmentRowToRecord,
} from '../log/segmentRow.js';

/** The statements on the `segments` table (schema step 4), prepared once per connection. */
export type SegmentTable = Readonly<{
  all(): SegmentRecord[];
  /** The newest segment: the live log starts right after it. */
  last(): SegmentRecord | undefined;
  insert(record: SegmentRecord): void;
}>;

/** Prepares the {@link SegmentTable} statements on an open, migrated connection. */
export function prepareSegmentTable(db: Database.Database): SegmentTable {
  const all = db
    .prepare<[], SegmentRow>(`SELECT ${SEGMENT_COLUMNS} FROM segments ORDER BY last_seq`)
    .raw();
  const last = db
    .prepare<[], SegmentRow>(
      `SELECT ${SEGMENT_COLUMNS} FROM segments ORDER BY last_seq DESC LIMIT 1`,
    )
    .raw();
  const insert = db.prepare<SegmentRow>(
    `INSERT INTO segments (${SEGMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return Object.freeze({
    all: () => all.all().map(segmentRowToRecord),
    last() {
      const row = last.get();
      return row === undefined ? undefined : segmentRowToRecord(row);
    },
    insert(r: SegmentRecord) {
      insert.run(...segmentRecordToRow(r));
    },
  });
}

/** Where a log without segments starts: before entry 1. */
export const GENESIS_HEAD: LogHead = Object.freeze({ seq: 0, hash: GENESIS_HASH });

/**
 * Reads where the live log of `db` starts: the end of its newest segment, or genesis. A file
 * whose schema lacks the table (damaged, being repaired) starts at genesis: its entries are
 * then checked from entry 1, and the schema problem is reported on its own.
 */
export function liveStartReader(db: Database.Database): () => LogHead {
  let statement: Database.Statement<[], [number, string]>;
  try {
    statement = db
      .prepare<[], [number, string]>(
        'SELECT last_seq, last_hash FROM segments ORDER BY last_seq DESC LIMIT 1',
      )
      .raw();
  } catch {
    return () => GENESIS_HEAD;
  }
  return () => {
    const row = statement.get();
    return row === undefined ? GENESIS_HEAD : { seq: row[0], hash: row[1] };
  };
}
