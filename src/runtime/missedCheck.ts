import type { Execution, Occurrence } from '../domain/types.js';
import { isWaiting } from '../log/ReadModel.js';

/** How the missed check sorts the occurrences whose time has passed. */
export type MissedSplit = Readonly<{
  /** Late by at most grace: trigger them now. */
  lateWithinGrace: readonly Occurrence[];
  /** Late beyond grace: record them missed and hand them to recovery. */
  beyondGrace: readonly Occurrence[];
}>;

/**
 * The seed's `check_for_missed_tasks` split: every occurrence still waiting (`scheduled`,
 * never triggered) whose time is at or before `nowMs`, earliest first. `isBusy` excludes
 * occurrences an actor is already triggering in this process.
 *
 * Due exactly at `nowMs` counts (late by 0): `scheduleAll` only re-arms occurrences strictly
 * in the future, so skipping this instant too would leave such an occurrence neither armed
 * nor triggered.
 */
export function splitMissed(
  executions: readonly Execution[],
  occurrenceOf: (id: string) => Occurrence | undefined,
  nowMs: number,
  graceMs: number,
  isBusy: (occurrenceId: string) => boolean,
): MissedSplit {
  const late: { occurrence: Occurrence; dueMs: number }[] = [];
  for (const execution of executions) {
    if (!isWaiting(execution)) continue;
    const dueMs = Date.parse(execution.scheduledFor);
    if (dueMs > nowMs || isBusy(execution.occurrenceId)) continue;
    const occurrence = occurrenceOf(execution.occurrenceId);
    if (occurrence !== undefined) late.push({ occurrence, dueMs });
  }
  late.sort((a, b) => a.dueMs - b.dueMs);
  const lateWithinGrace: Occurrence[] = [];
  const beyondGrace: Occurrence[] = [];
  for (const { occurrence, dueMs } of late) {
    (nowMs - dueMs <= graceMs ? lateWithinGrace : beyondGrace).push(occurrence);
  }
  return { lateWithinGrace, beyondGrace };
}
