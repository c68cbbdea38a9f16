import type { IsoInstant } from '../domain/types.js';
import type { NewEvent, StoredEvent } from './events.js';

/** The last entry of a log: its sequence number and hash (`0` / `GENESIS_HASH` when empty). */
export type LogHead = Readonly<{ seq: number; hash: string }>;

export type AppendOptions = Readonly<{
  /**
   * Optimistic concurrency: the append fails with `ConcurrencyError` unless the log's head
   * sequence number is exactly this value.
   */
  expectedSeq?: number;
}>;

export type ReadOptions = Readonly<{
  /** First sequence number to read (inclusive). @default 1 */
  fromSeq?: number;
  /** Read no further than this sequence number (inclusive). */
  toSeq?: number;
  /**
   * At most this many entries per batch. Small batches keep a reader's garbage young: a
   * batch of thousands of parsed entries outlives V8's young generation. @default 500
   */
  batchSize?: number;
}>;

/**
 * Port for the append-only event log. Every store (memory, SQLite, PostgreSQL) implements it
 * and passes the same contract suite (`test/contracts/storeContract.ts`).
 *
 * Rules every implementation keeps:
 * - `append` is atomic per call: all entries of the batch are stored, or none.
 * - Sequence numbers start at 1 and have no gaps; `time`, `id`, `seq`, `schemaVersion`,
 *   `prevHash` and `hash` are assigned by the store (time from the clock it was given).
 * - A second `occurrence.triggered` for the same stream is rejected with
 *   `ConcurrencyError` (code `planflow:already-triggered`) by the storage itself, and the
 *   whole batch that carried it is rejected.
 */
export interface EventStore {
  append(events: readonly NewEvent[], options?: AppendOptions): Promise<readonly StoredEvent[]>;
  /** Entries in sequence order, yielded in batches (cheap to fold in one pass). */
  read(options?: ReadOptions): AsyncIterable<readonly StoredEvent[]>;
  head(): Promise<LogHead>;
  close(): Promise<void>;
}

/** The time source a store stamps entries with. */
export type StoreClock = Readonly<{ now(): number }>;

/** Formats epoch milliseconds as a domain instant. */
export const toIso = (ms: number): IsoInstant => new Date(ms).toISOString();
