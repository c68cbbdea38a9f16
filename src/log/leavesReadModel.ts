import type { ArchivedRange } from './facts.js';
import { isLive, type OccurrenceRecord } from './projection.js';

/**
 * How far back the read model keeps every settled occurrence, whatever is archived: the
 * scheduler's calendar occupancy reads the places of the last two days (`placesSince`,
 * `OCCUPANCY_MARGIN_MS` in `createScheduler.ts`), and its cap per day counts what already ran
 * today. An archive run never takes an occurrence scheduled within this margin out of the
 * read model, even when its entries move to the segment.
 */
export const RECENT_OCCURRENCES_MS = 2 * 86_400_000;

/**
 * The one rule of what an archive run takes out of the read model, given the range its
 * `log.archived` fact names: a settled occurrence (not waiting, not running) whose every
 * entry lies in the archived prefix and whose time is before `occurrencesBefore`. Nothing
 * can move it on any more — its outcome and follow-up are one append, and appends never
 * straddle the prefix's end — so the live log never needs it. Live occurrences and tasks
 * always stay. Stores apply it in the transaction that records the fact, and a rebuild over
 * archive and live log applies it where it meets the fact, so both end with the same model.
 */
export function leavesReadModel(
  record: OccurrenceRecord,
  range: Pick<ArchivedRange, 'lastSeq' | 'occurrencesBefore'>,
): boolean {
  const { execution } = record;
  if (isLive(execution)) return false;
  const last = execution.history[execution.history.length - 1];
  return (
    last !== undefined &&
    last.seq <= range.lastSeq &&
    Date.parse(execution.scheduledFor) < Date.parse(range.occurrencesBefore)
  );
}

/** The live occurrence whose entries an archive run must leave in the live log. */
export type HeldBack = Readonly<{
  /** The occurrence (a live one, or the first attempt a live retry continues). */
  occurrenceId: string;
  /** Its first entry: the run archives only entries before it. */
  fromSeq: number;
}>;

/**
 * Where an archive run must stop so that the live set never needs an archived entry: before
 * the first entry of the oldest live occurrence — its history stays whole — or of the first
 * attempt a live retry continues, whose record names the unit of work (the idempotency key
 * walks back to it), whichever is older. `live` must hold every live retry and the oldest
 * live occurrence; `recordOf` reads any record.
 */
export function heldBackBy(
  live: Iterable<Pick<OccurrenceRecord, 'occurrence' | 'firstSeq'>>,
  recordOf: (occurrenceId: string) => Pick<OccurrenceRecord, 'occurrence' | 'firstSeq'> | undefined,
): HeldBack | undefined {
  let held: HeldBack | undefined;
  for (const record of live) {
    let root = record;
    for (let hops = 0; root.occurrence.cause === 'retry' && hops < 10_000; hops++) {
      const parentId = root.occurrence.parentId;
      const parent = parentId === undefined ? undefined : recordOf(parentId);
      if (parent === undefined) break;
      root = parent;
    }
    if (held === undefined || root.firstSeq < held.fromSeq) {
      held = { occurrenceId: root.occurrence.id, fromSeq: root.firstSeq };
    }
  }
  return held;
}
