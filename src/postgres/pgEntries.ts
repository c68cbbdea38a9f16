import type Pg from 'pg';
import type { StoredEvent } from '../log/events.js';
import { quoted } from './pgSchema.js';

/** Columns of an `entries` row as {@link rowToStoredEvent} reads them. */
export const ENTRY_COLUMNS = 'seq, id, type, time, stream, data, schema_version, prev_hash, hash';

/** One `entries` row in column order (`rowMode: 'array'`, `bigint` parsed as a number). */
export type EntryRow = [
  seq: number,
  id: string,
  type: string,
  time: string,
  stream: string,
  data: string,
  schemaVersion: number,
  prevHash: string,
  hash: string,
];

/** Parses a row into the public, frozen event (the same shape `toStoredEvent` builds). */
export function rowToStoredEvent(row: EntryRow): StoredEvent {
  return Object.freeze({
    seq: row[0],
    id: row[1],
    type: row[2],
    time: row[3],
    stream: row[4],
    data: JSON.parse(row[5]),
    schemaVersion: row[6],
    prevHash: row[7],
    hash: row[8],
  }) as StoredEvent;
}

/** Reads pages of entries in seq order: keyset paging, no cursor held open between pages. */
export function entryPageReader(
  schema: string,
): (
  db: Pick<Pg.Pool, 'query'>,
  fromSeq: number,
  toSeq: number,
  limit: number,
) => Promise<EntryRow[]> {
  const text = `SELECT ${ENTRY_COLUMNS} FROM ${quoted(schema)}.entries WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3`;
  return async (db, fromSeq, toSeq, limit) => {
    const { rows } = await db.query<EntryRow>({
      text,
      values: [fromSeq, Number.isFinite(toSeq) ? toSeq : Number.MAX_SAFE_INTEGER, limit],
      rowMode: 'array',
    });
    return rows;
  };
}
