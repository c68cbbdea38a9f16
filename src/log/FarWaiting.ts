import type { OccurrenceRecord } from './projection.js';
import type { WaitingRecord } from './waitingRecord.js';

/** Which waiting occurrences a read asks for: due in `[fromMs, toMs)`, of one task when given. */
export type WaitingRange = Readonly<{ fromMs: number; toMs?: number; taskId?: string }>;

/**
 * The places waiting occurrences hold, counted per UTC quarter of an hour (the start of the
 * quarter, and how many): enough for the occupancy's count per local day, since every
 * offset a zone uses today is a whole number of quarters, so no quarter straddles a local
 * midnight.
 */
export type HeldQuarter = readonly [startMs: number, count: number];

/** The waiting occurrences due at or after some instant, without loading them. */
export type FarSummary = Readonly<{
  /** How many there are, per task (tasks without any left out). */
  byTask: readonly (readonly [taskId: string, count: number])[];
  /** The places those that hold a calendar place hold, per quarter of an hour, ascending. */
  quarters: readonly HeldQuarter[];
  /**
   * The exact instants of those places, ascending, one per place: only when asked for (the
   * calendar keeps instants exclusive, so the occupancy must tell a taken instant).
   */
  instants?: readonly number[];
}>;

/**
 * The reads a store offers when it can leave the waiting occurrences due after a time out of
 * `loadLive` (a windowed live set, docs/architecture.md "The live window"): those occurrences
 * stay in the store until the window reaches them, a command needs them, or a task's series
 * is asked about. The memory and SQLite stores have it.
 */
export interface FarWaiting {
  /** The waiting occurrences in `range`, in the order first recorded. */
  load(range: WaitingRange): Promise<readonly (OccurrenceRecord | WaitingRecord)[]>;
  /**
   * How many waiting occurrences are due at or after `fromMs`, per task, and the places those
   * that hold a calendar place hold (their exact instants too with `instants`): what the
   * scheduler counts of them without loading them.
   */
  summary(fromMs: number, instants?: boolean): Promise<FarSummary>;
}
