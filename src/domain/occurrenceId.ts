import { createHash } from 'node:crypto';
import type { IsoInstant, OccurrenceCause } from './types.js';

/** Hex characters kept from the digest: 80 bits, collision-free for any realistic log. */
const ID_HEX_LENGTH = 20;

/**
 * The id of an occurrence, derived from what makes it that occurrence. Planning the same
 * occurrence twice — after a restart, on two instances sharing a store, or when recovery and
 * the runtime both react to the same miss — yields the same id, so duplicates collapse into
 * one instead of firing twice.
 * @param scheduledFor The canonical ISO instant (`Date#toISOString()` form).
 * @example
 * occurrenceId('standup', 'recurrence', '2026-03-30T07:30:00.000Z', 0); // 'o_…' (22 chars)
 */
export function occurrenceId(
  taskId: string,
  cause: OccurrenceCause,
  scheduledFor: IsoInstant,
  attempt: number,
  slot?: Readonly<{ slot?: IsoInstant | undefined; through?: IsoInstant | undefined }>,
): string {
  // Newline-separated: a task id cannot contain one (ids reject control characters), so
  // distinct inputs cannot produce the same hashed text.
  // The slot a run stands for (catch-up, backfill, buffered overlap) tells apart runs due at
  // one instant; occurrences without one keep the ids they always had.
  const stands =
    slot?.slot === undefined
      ? ''
      : `\n${slot.slot}${slot.through === undefined ? '' : `\n${slot.through}`}`;
  const digest = createHash('sha256')
    .update(`${taskId}\n${cause}\n${scheduledFor}\n${attempt}${stands}`)
    .digest('hex');
  return `o_${digest.slice(0, ID_HEX_LENGTH)}`;
}
