import type Database from 'better-sqlite3';
import type { Checkpoint } from '../log/checkpoint.js';

type CheckpointRow = [seq: number, hash: string, time: string, keyId: string, signature: string];

/** The statements on the `checkpoints` table (schema step 2), prepared once per connection. */
export type CheckpointTable = Readonly<{
  /** Stores a checkpoint; a second one of the same entry (another connection's) is kept as is. */
  insert(checkpoint: Checkpoint): void;
  /** The checkpoint of the highest entry, if any. */
  latest(): Checkpoint | undefined;
  /** Every checkpoint in seq order. */
  all(): Checkpoint[];
  /** The stored hash of entry #`seq` (not verified: the chain walk does that). */
  hashAt(seq: number): string | undefined;
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
  const hashAt = db.prepare<[number], string>('SELECT hash FROM events WHERE seq = ?').pluck();
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
    hashAt: (seq: number) => hashAt.get(seq),
  });
}
