import type { Occurrence } from '../../domain/types.js';
import type { SchedulerTx } from '../SchedulerParts.js';
import { armWaiting } from './armWaiting.js';
import { isScheduling, isTaskPaused } from './lookups.js';

/**
 * What a widening arms of what it adopted: nothing (`scheduleAll` re-arms everything next),
 * the ones still to come (the missed check decides about the due ones next), or all of them
 * (the window's own timer: the due ones are claimed now).
 */
export type WideningArms = 'none' | 'future' | 'all';

/**
 * Widens the live window once half of it has passed (or the clock jumped past it): the
 * waiting occurrences due before its new end that only the store held are adopted into the
 * live model, their places named in the occupancy, and armed as `arms` says, the future ones
 * as a restart arms them. When another writer moved on occurrences the window left in the
 * store, they are counted again from the store. Sets the window's timer again. Returns the
 * occurrences adopted.
 */
export async function widenWindow(
  tx: SchedulerTx,
  arms: WideningArms,
): Promise<readonly Occurrence[]> {
  const { log, window, timers, supervisor } = tx.parts;
  // A stopped scheduler's timers are gone; nothing more is armed.
  if (supervisor.status === 'stopped') return [];
  const nowMs = timers.now();
  const adopted = window.isDue(log.model.windowEndMs, nowMs)
    ? (await log.advanceWindow(window.endFrom(nowMs))).map((kept) => kept.occurrence)
    : [];
  await recountIfTouched(tx);
  window.arm(log.model.windowEndMs);
  if (arms !== 'none' && adopted.length > 0) {
    await armWaiting(tx, (visit) => {
      for (const occurrence of adopted) visit(occurrence, occurrence.scheduledFor);
    });
    // One already due (the timer came late: a sleep, a blocked loop) is claimed now, as its
    // own timer would have been claimed late had it been armed: on time within grace, else
    // recorded missed.
    const { actors, lease } = tx.parts;
    if (arms === 'all' && isScheduling(supervisor.status)) {
      for (const occurrence of adopted) {
        if (Date.parse(occurrence.scheduledFor) > nowMs) continue;
        if (isTaskPaused(tx.parts, occurrence.taskId) || !lease.owns(occurrence.taskId)) continue;
        void actors.arm(occurrence);
      }
    }
  }
  return adopted;
}

/** Counts the far places again when another writer moved on some of them since the last count. */
export async function recountIfTouched(tx: SchedulerTx): Promise<void> {
  if (tx.parts.log.takeFarTouched()) await recountFarPlaces(tx);
}

/**
 * Counts the occurrences the window leaves in the store, and their places, again: what the
 * store holds from the window's end on, less the ones the live model holds. Reads their exact
 * instants too when the calendar keeps instants exclusive.
 */
export async function recountFarPlaces(tx: SchedulerTx): Promise<void> {
  const { log, occupancy } = tx.parts;
  const endMs = log.model.windowEndMs;
  if (endMs === Number.POSITIVE_INFINITY) return;
  const stored = await log.farNow(occupancy.calendar.exclusiveInstants !== false);
  const named: number[] = [];
  const held = new Map<string, number>();
  log.model.forEachWaiting((occurrence, scheduledFor) => {
    const atMs = Date.parse(scheduledFor);
    if (atMs < endMs) return;
    held.set(occurrence.taskId, (held.get(occurrence.taskId) ?? 0) + 1);
    if (occupancy.holds(occurrence.id)) named.push(atMs);
  });
  occupancy.recountUnnamed(stored, named);
  log.model.recountFar(
    stored.byTask.map(([taskId, count]) => [taskId, count - (held.get(taskId) ?? 0)] as const),
  );
}
