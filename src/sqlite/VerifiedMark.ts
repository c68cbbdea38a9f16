import type Database from 'better-sqlite3';
import { CorruptLogError } from '../domain/errors.js';
import type { LogHead } from '../log/EventStore.js';
import { liveStartReader } from './segmentTable.js';

const KEY = 'verified';

/**
 * How far a log's chain is known good: the sequence number and hash of the last entry that
 * was verified or written by a store whose own view of the chain was verified, kept in
 * `log_state`. Opening verifies only the entries after it, so it costs what was appended
 * since (by another writer, or by a tool), not the length of the history; `verify({ full })`
 * still walks everything.
 *
 * The mark is not a proof against someone who can write the file (they can move it too);
 * signed checkpoints are. It is a cache of work done, checked against the entry it names.
 */
export class VerifiedMark {
  readonly #read: Database.Statement<[], string>;
  readonly #write: Database.Statement<[string]>;
  readonly #hashAt: Database.Statement<[number], string>;
  readonly #start: () => LogHead;
  #current: LogHead;

  constructor(db: Database.Database) {
    this.#read = db.prepare<[], string>(`SELECT value FROM log_state WHERE key = '${KEY}'`).pluck();
    this.#write = db.prepare<[string]>(
      `INSERT OR REPLACE INTO log_state (key, value) VALUES ('${KEY}', ?)`,
    );
    this.#hashAt = db.prepare<[number], string>('SELECT hash FROM events WHERE seq = ?').pluck();
    this.#start = liveStartReader(db);
    this.#current = this.#load();
  }

  /**
   * The stored mark, never below where the live log starts: an archive run verified every
   * entry it moved into a segment, so a mark it left behind counts from the segment's end.
   */
  #load(): LogHead {
    const start = this.#start();
    const json = this.#read.get();
    if (json === undefined) return start;
    const parsed = JSON.parse(json) as Partial<LogHead>;
    return typeof parsed.seq === 'number' &&
      typeof parsed.hash === 'string' &&
      parsed.seq >= start.seq
      ? { seq: parsed.seq, hash: parsed.hash }
      : start;
  }

  /** The mark as last read or written by this connection. */
  get current(): LogHead {
    return this.#current;
  }

  /**
   * Re-reads the mark and checks that the entry it names is still there with its hash.
   * @throws CorruptLogError when entries known good were removed or changed since.
   */
  check(component: string, path: string): LogHead {
    this.#current = this.#load();
    const { seq, hash } = this.#current;
    if (seq === 0) return this.#current;
    const start = this.#start();
    const found = seq === start.seq ? start.hash : this.#hashAt.get(seq);
    if (found === hash) return this.#current;
    const what =
      found === undefined ? `entry #${seq} is gone` : `entry #${seq} no longer has the hash it had`;
    throw new CorruptLogError(
      seq,
      `${component}: the log at "${path}" was verified up to entry #${seq} before, but ${what}: entries were removed or rewritten since. Nothing was changed; check it with planflow verify --full, then run repairLog("${path}") or restore it from a backup`,
      { damage: 'chain', path },
    );
  }

  /** Moves the mark to `head` (in the caller's transaction, when there is one). */
  advance(head: LogHead): void {
    this.#write.run(JSON.stringify({ seq: head.seq, hash: head.hash }));
    this.#current = head;
  }

  /** Forgets what this connection believed, after a transaction that moved it rolled back. */
  reload(): void {
    this.#current = this.#load();
  }

  /** Whether `head` is exactly the mark: nothing unverified lies before the next entry. */
  isAt(head: LogHead): boolean {
    return head.seq === this.#current.seq && head.hash === this.#current.hash;
  }
}
