import type { IsoInstant } from '../domain/types.js';
import type { CheckpointedStore } from './CheckpointedStore.js';
import type { HeldBack } from './leavesReadModel.js';

/**
 * One sealed archive segment as the log records it (the `segments` table of SQLite and
 * PostgreSQL, the memory store's list): entries `firstSeq`..`lastSeq`, the hashes the chain crosses it with, and
 * the sha256 of its entry lines. The same values are in the segment's header and in the
 * `log.archived` entry at `factSeq`, which is part of the hash chain.
 */
export type SegmentRecord = Readonly<{
  firstSeq: number;
  lastSeq: number;
  count: number;
  /** `prevHash` of entry `firstSeq`: `GENESIS_HASH` for the first segment. */
  firstPrevHash: string;
  /** Hash of entry `lastSeq`: the `prevHash` of the first entry after the segment. */
  lastHash: string;
  /** sha256 (hex) of the segment's entry lines, each with its newline (not of the gzip bytes). */
  sha256: string;
  /** The segment's file name (`<log>.<first>-<last>.jsonl.gz`). */
  file: string;
  /** Where the run wrote it (the memory store: empty): a hint for readers, not a promise. */
  dir: string;
  /** Size of the compressed file. */
  bytes: number;
  /** The `log.archived` entry that records this segment. */
  factSeq: number;
  /** When the run recorded it (the store's clock). */
  archivedAt: IsoInstant;
}>;

/** A step of an archive run, as `ArchiveOptions.onStep` hears it. */
export type ArchiveStep =
  /** The segment is written to a temporary file and flushed to disk. */
  | 'segment-written'
  /** The segment has its final name (renamed, directory flushed): nothing is recorded yet. */
  | 'segment-sealed'
  /** Inside the transaction that records it: the entries are about to leave the live log. */
  | 'recording'
  /** Committed: the entries live in the segment only. */
  | 'recorded';

/** What one archive run should move. */
export type ArchiveOptions = Readonly<{
  /**
   * Archive the entries older than this: a `Date`, an ISO-8601 instant or epoch ms. Only a
   * prefix of the log moves — every entry before the first one at or after this instant —
   * so the chain stays one piece. @default now minus the store's `retention.keepFinishedFor`
   */
  before?: Date | string | number;
  /**
   * Where the segment goes (SQLite, PostgreSQL). @default the store's `retention.archiveDir`,
   * else (SQLite) `<path>.archive`; PostgreSQL has no default, one of them is required
   */
  archiveDir?: string;
  /**
   * Hears each step of the run, synchronously (the `recording` step inside the transaction):
   * for progress output and for crash tests. Must not throw.
   */
  onStep?: (step: ArchiveStep) => void;
}>;

/** What an archive run did. */
export type ArchiveResult = Readonly<{
  /** The segment it sealed and recorded; undefined when nothing was old enough to move. */
  segment: SegmentRecord | undefined;
  /** The segment's path (SQLite, PostgreSQL) when one was written. */
  path?: string;
  /** The segment's bytes (the memory store, which keeps no files). */
  bytes?: Uint8Array;
  /** Occurrences that left the read model (settled, every entry archived). */
  prunedOccurrences: number;
  /**
   * The live occurrence that stopped the run short of the cutoff: its entries (or those of
   * the first attempt a live retry continues) stay in the live log, so the run archived only
   * what lies before `fromSeq`. Undefined when the cutoff alone decided.
   */
  heldBack?: HeldBack;
  /** The cutoff the run applied. */
  before: IsoInstant;
}>;

/**
 * A store that can move the old prefix of its log into sealed, compressed segments (JSON
 * Lines + gzip) and still verify as one chain with them. Every PlanFlow store is one. See
 * docs/storage.md ("Retention and archives").
 */
export interface ArchivingStore extends CheckpointedStore {
  /** Moves the entries older than `before` (a prefix) into one new segment. */
  archive(options?: ArchiveOptions): Promise<ArchiveResult>;
  /** Every segment recorded so far, oldest first. */
  segments(): Promise<readonly SegmentRecord[]>;
}
