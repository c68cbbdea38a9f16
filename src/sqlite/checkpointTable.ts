import type Database from 'better-sqlite3';
import type { Checkpoint } from '../log/checkpoint.js';
import { liveStartReader } from './segmentTable.js';

type CheckpointRow = [seq: number, hash: string, time: string, keyId: string, signature: string];

/** The statements on the `checkpoints` table (schema step 2), prepared once per connection. */
export type CheckpointTable = Readonly<{
  /** Stores a checkpoint; a second one of the same entry (another connection's) is kept as is. */
  insert(checkpoint: Checkpoint): void;
  /** The checkpoint of the highest entry, if any. */
  latest(): Checkpoint | undefined;
  /** Every checkpoint in seq order. */
  all(): Checkpoint[];
  /**
   * The stored hash of entry #`seq` (not verified: the chain walk does that). For an entry
   * archived into a segment: the end hash of the newest segment, or the hash of the
   * checkpoint of that entry, which the archive run checked against the entry before it moved
   * it (the segment itself is checked by `verifyArchive`).
   */
  hashAt(seq: number): string | undefined;
  /** The last archived entry (0 when the log was never archived). */
  archivedUpTo(): number;
}>;

const toCheckpoint = (row: CheckpointRow): Checkpoint =>
  Object.freeze({ seq: row[0], hash: row[1], time: row[2], keyId: row[3], signature: row[4] });

const COLUMNS = 'seq, hash, time, key_id, signature';

/** Prepares the {@link CheckpointTable} statements on an open, migrated connection. */
export function prepareCheckpointTable(db: Database.Database): CheckpointTable {
  const insert = db.prepare<CheckpointRow>(
    `INSERT OR IGNORE INTO checkpoints (${COLUMNS}) VALUES (?, ?, ?, ?, ?)`,
  );
  const latest = db
    .prepare<[], CheckpointRow>(`SELECT ${COLUMNS} FROM checkpoints ORDER BY seq DESC LIMIT 1`)
    .raw();
  const all = db
    .prepare<[], CheckpointRow>(`SELECT ${COLUMNS} FROM checkpoints ORDER BY seq`)
    .raw();
  const eventHash = db.prepare<[number], string>('SELECT hash FROM events WHERE seq = ?').pluck();
  const checkpointHash = db
    .prepare<[number], string>('SELECT hash FROM checkpoints WHERE seq = ?')
    .pluck();
  const start = liveStartReader(db);
  const hashAt = (seq: number): string | undefined => {
    const found = eventHash.get(seq);
    if (found !== undefined) return found;
    const { seq: startSeq, hash } = start();
    if (seq > startSeq) return undefined;
    return seq === startSeq ? hash : checkpointHash.get(seq);
  };
  return Object.freeze({
    insert(checkpoint: Checkpoint) {
      insert.run(
        checkpoint.seq,
        checkpoint.hash,
        checkpoint.time,
        checkpoint.keyId,
        checkpoint.signature,
      );
    },
    latest() {
      const row = latest.get();
      return row === undefined ? undefined : toCheckpoint(row);
    },
    all: () => all.all().map(toCheckpoint),
    hashAt,
    archivedUpTo: () => start().seq,
  });
}
