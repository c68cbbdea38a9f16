import type {
  CalendarConfig,
  EntryQuery,
  IsoInstant,
  Page,
  RecordQuery,
  SchedulerStatus,
  Task,
} from '../domain/types.js';
import type { NewEvent, StoredEvent } from './events.js';
import type { FarSummary, FarWaiting } from './FarWaiting.js';
import type { InstanceLeases } from './InstanceLeases.js';
import type { OccurrenceRecord } from './projection.js';
import type { WaitingRecord } from './waitingRecord.js';

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
 * What deciding needs, read in one consistent view at `head`: the tasks, the calendar, the
 * recorded status and the live set (occurrences waiting to trigger or running). Settled
 * history is not part of it; it stays in the store.
 */
export type LiveState = Readonly<{
  head: LogHead;
  tasks: readonly Task[];
  calendar: CalendarConfig | undefined;
  status: SchedulerStatus;
  /**
   * The live occurrences, in the order first recorded; a waiting one may come in compact
   * form (a `WaitingRecord`, whose record `expandWaiting` rebuilds). With a window, only the
   * triggered ones and the waiting ones due before `waitingBeforeMs`.
   */
  live: readonly (OccurrenceRecord | WaitingRecord)[];
  /**
   * Set when the store applied the window asked for: waiting occurrences due at or after it
   * are not in `live` (they stay in the store, read through `farWaiting`).
   */
  waitingBeforeMs?: number;
  /** With a window: how many occurrences it left out, and the places they hold. */
  far?: FarSummary;
}>;

/** Asks `loadLive` to leave out the waiting occurrences due at or after `waitingBeforeMs`. */
export type LiveWindow = Readonly<{ waitingBeforeMs: number }>;

/** Where an occurrence that holds its calendar place stands: its id and time. */
export type Place = Readonly<{ occurrenceId: string; scheduledFor: IsoInstant }>;

/**
 * Port for the append-only event log and the read model it keeps in step with it. Every store
 * (memory, SQLite, PostgreSQL) implements it and passes the same contract suite
 * (`test/contracts/storeContract.ts`).
 *
 * Rules every implementation keeps:
 * - `append` is atomic per call: all entries of the batch are stored, or none.
 * - Sequence numbers start at 1 and have no gaps; `time`, `id`, `seq`, `schemaVersion`,
 *   `prevHash` and `hash` are assigned by the store (time from the clock it was given).
 * - A second `occurrence.triggered` for the same stream is rejected with
 *   `ConcurrencyError` (code `planflow:already-triggered`) by the storage itself, and the
 *   whole batch that carried it is rejected.
 * - The read model answers exactly what `projectEntries` folds from the entries, and an
 *   acknowledged append is visible to every query that starts after it.
 */
export interface EventStore {
  append(events: readonly NewEvent[], options?: AppendOptions): Promise<readonly StoredEvent[]>;
  /** Entries in sequence order, yielded in batches (cheap to fold in one pass). */
  read(options?: ReadOptions): AsyncIterable<readonly StoredEvent[]>;
  head(): Promise<LogHead>;
  close(): Promise<void>;

  // ── The read model (an inline projection: written in the same transaction as the
  // entries it derives from, by `projectEntries`) ──────────────────────────────────────

  /**
   * Tasks, calendar, status and the live set, consistent with one head. A store with
   * `farWaiting` applies `window` (and says so in `waitingBeforeMs`); others load everything.
   */
  loadLive(window?: LiveWindow): Promise<LiveState>;
  /** One occurrence with its execution record, live or settled. */
  getRecord(occurrenceId: string): Promise<OccurrenceRecord | undefined>;
  /** Occurrences in the order first recorded (by `firstSeq`), filtered, a page at a time. */
  queryRecords(query: RecordQuery): Promise<Page<OccurrenceRecord>>;
  /** Entries about a task (with all its occurrences) or about one occurrence, in log order. */
  queryHistory(query: EntryQuery): Promise<Page<StoredEvent>>;
  /**
   * Settled occurrences that still hold a calendar place (they ran) scheduled at or after
   * `sinceMs`: with the live set of {@link loadLive}, what the calendar's occupancy needs from
   * today on.
   */
  placesSince(sinceMs: number): Promise<readonly Place[]>;

  /**
   * The running schedulers' leases on this log, kept beside it (never in the chain). A store
   * without them still gets one running scheduler per store object: the scheduler keeps an
   * in-process lease for it.
   */
  readonly leases?: InstanceLeases;

  /**
   * Reads of the waiting occurrences a windowed `loadLive` left out. A store that watches
   * other writers' commits (PostgreSQL) has none: every instance folds their entries against
   * the records it holds, so its live set stays whole.
   */
  readonly farWaiting?: FarWaiting;
}

/** The time source a store stamps entries with. */
export type StoreClock = Readonly<{ now(): number }>;

/** Formats epoch milliseconds as a domain instant. */
export const toIso = (ms: number): IsoInstant => new Date(ms).toISOString();
