import type { StoredEvent } from './events.js';

/**
 * One stored entry as a row of columns, in the order every store selects them (SQLite's
 * `events`, PostgreSQL's `entries`): the shape {@link rowToStoredEvent} reads.
 */
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

/**
 * Parses a row into the public, frozen event. Built in one literal with the same keys in the
 * same order as `toStoredEvent`, so every entry shares one hidden class and a rebuild costs
 * little more than the `JSON.parse` itself.
 */
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
