import { occurrenceId } from './occurrenceId.js';
import type { IsoInstant, Occurrence, OccurrenceCause, PlacementMove } from './types.js';

/** What an occurrence is made of; its id is derived, never chosen. */
export type OccurrenceSpec = Readonly<{
  taskId: string;
  cause: OccurrenceCause;
  scheduledFor: Date | IsoInstant;
  /** @default 0 */
  attempt?: number;
  slotName?: string | undefined;
  pinnedTime?: IsoInstant | undefined;
  parentId?: string | undefined;
  /** Where the schedule asked for it, when the planner placed it elsewhere. */
  moved?: PlacementMove | undefined;
  /** The recurrence slot the run stands for, when it runs at another time. */
  slot?: IsoInstant | undefined;
  /** The last slot of the catch-up or backfill batch it belongs to. */
  through?: IsoInstant | undefined;
}>;

/**
 * Builds a frozen {@link Occurrence} with its deterministic id. Trusted callers only (the
 * planners, the runtime): it does not validate — untrusted data goes through
 * `parseOccurrence`. `scheduledFor` is normalised to `toISOString()` form so the id does not
 * depend on how the instant was spelt.
 */
export function makeOccurrence(spec: OccurrenceSpec): Occurrence {
  const scheduledFor =
    spec.scheduledFor instanceof Date
      ? spec.scheduledFor.toISOString()
      : new Date(spec.scheduledFor).toISOString();
  const attempt = spec.attempt ?? 0;
  const occurrence: { -readonly [K in keyof Occurrence]: Occurrence[K] } = {
    id: occurrenceId(spec.taskId, spec.cause, scheduledFor, attempt, spec),
    taskId: spec.taskId,
    scheduledFor,
    attempt,
    cause: spec.cause,
  };
  if (spec.slotName !== undefined) occurrence.slotName = spec.slotName;
  if (spec.pinnedTime !== undefined) occurrence.pinnedTime = spec.pinnedTime;
  if (spec.parentId !== undefined) occurrence.parentId = spec.parentId;
  if (spec.moved !== undefined) occurrence.moved = Object.freeze({ ...spec.moved });
  if (spec.slot !== undefined) occurrence.slot = spec.slot;
  if (spec.slot !== undefined && spec.through !== undefined) occurrence.through = spec.through;
  return Object.freeze(occurrence);
}
