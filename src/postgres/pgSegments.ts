import type Pg from 'pg';
import type { SegmentRecord } from '../log/ArchivingStore.js';
import type { LogHead } from '../log/EventStore.js';
import {
  SEGMENT_COLUMNS,
  type SegmentRow,
  segmentRecordToRow,
  segmentRowToRecord,
} from '../log/segmentRow.js';
import { EMPTY_HEAD, quoted } from './pgSchema.js';

type Queryable = Pick<Pg.Pool, 'query'>;

/**
 * The `segments` table of a schema (step 3): the archive segments recorded so far. The newest
 * one says where the live log starts — its `last_seq` and `last_hash` — as SQLite's table
 * does.
 */
export class PgSegments {
  readonly #all: string;
  readonly #last: string;
  readonly #insert: string;

  constructor(schema: string) {
    const q = quoted(schema);
    this.#all = `SELECT ${SEGMENT_COLUMNS} FROM ${q}.segments ORDER BY last_seq`;
    this.#last = `SELECT ${SEGMENT_COLUMNS} FROM ${q}.segments ORDER BY last_seq DESC LIMIT 1`;
    this.#insert = `INSERT INTO ${q}.segments (${SEGMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;
  }

  /** Every segment, oldest first. */
  async all(db: Queryable): Promise<SegmentRecord[]> {
    const { rows } = await db.query<SegmentRow>({ text: this.#all, rowMode: 'array' });
    return rows.map(segmentRowToRecord);
  }

  /** The newest segment: the live log starts right after it. */
  async last(db: Queryable): Promise<SegmentRecord | undefined> {
    const { rows } = await db.query<SegmentRow>({ text: this.#last, rowMode: 'array' });
    return rows[0] === undefined ? undefined : segmentRowToRecord(rows[0]);
  }

  /** Where the live log starts: the end of the newest segment, or genesis. */
  async start(db: Queryable): Promise<LogHead> {
    const last = await this.last(db);
    return last === undefined ? EMPTY_HEAD : { seq: last.lastSeq, hash: last.lastHash };
  }

  /** Records a segment, in the caller's transaction. */
  async insert(db: Queryable, r: SegmentRecord): Promise<void> {
    await db.query(this.#insert, segmentRecordToRow(r));
  }
}
