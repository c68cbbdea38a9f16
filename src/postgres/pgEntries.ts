import type Pg from 'pg';
import type { EntryRow } from '../log/entryRow.js';
import { quoted } from './pgSchema.js';

/** Columns of an `entries` row as `rowToStoredEvent` reads them. */
export const ENTRY_COLUMNS = 'seq, id, type, time, stream, data, schema_version, prev_hash, hash';

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
