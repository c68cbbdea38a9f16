import type { CalendarConfig } from '../domain/types.js';
import type { EventLog } from '../log/EventLog.js';
import type { Place } from '../log/EventStore.js';
import type { FarSummary } from '../log/FarWaiting.js';
import type { CalendarOccupancy } from '../planning/CalendarOccupancy.js';

/**
 * How far back the occupancy keeps places: the planners place occurrences from now on, and a
 * calendar day in any zone began less than 38 hours ago, so two days cover "today" everywhere
 * (its cap per day counts what already ran today).
 */
export const OCCUPANCY_MARGIN_MS = 2 * 86_400_000;

/** What a scheduler's occupancy is built from, read from the log before it is filled. */
export type LogPlaces = Readonly<{
  /** The occurrences that held a place from the margin on, as the store has them. */
  recent: readonly Place[];
  /** The waiting occurrences the live window leaves in the store, counted. */
  far: FarSummary;
}>;

/**
 * Reads what {@link fillOccupancy} needs: the places held from two days back on, and the
 * far ones — `far` when the caller has them counted already (at open), else counted now —
 * with their instants when `calendar` keeps instants exclusive.
 */
export async function readLogPlaces(
  log: EventLog,
  nowMs: number,
  calendar: CalendarConfig,
  far?: FarSummary,
): Promise<LogPlaces> {
  const exclusiveInstants = calendar.exclusiveInstants !== false;
  const recent = await log.placesSince(nowMs - OCCUPANCY_MARGIN_MS);
  let counted = far ?? (await log.farNow(exclusiveInstants));
  if (exclusiveInstants && counted.quarters.length > 0 && counted.instants === undefined) {
    counted = await log.farNow(true);
  }
  return { recent, far: counted };
}

/**
 * Fills an empty occupancy from the log: the places `read` found, every place the live set
 * holds whatever its time (one due long ago still waits for the missed check), and the far
 * waiting occurrences' places, unnamed. Synchronous, so nothing decides against a half-built
 * occupancy.
 */
export function fillOccupancy(occupancy: CalendarOccupancy, log: EventLog, read: LogPlaces): void {
  for (const place of read.recent) occupancy.hold(place.occurrenceId, place.scheduledFor);
  log.model.forEachLivePlace((occurrenceId, scheduledFor) =>
    occupancy.hold(occurrenceId, scheduledFor),
  );
  occupancy.holdUnnamed(read.far);
}
