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
