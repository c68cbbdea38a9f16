import { isCatchUpRun } from '../domain/isCatchUpRun.js';
import { makeOccurrence } from '../domain/makeOccurrence.js';
import type { Execution, Occurrence, Task } from '../domain/types.js';
import { CalendarOccupancy } from './CalendarOccupancy.js';
import { DefaultTaskScheduler, type FollowUpOptions } from './DefaultTaskScheduler.js';
import type { PlanningContext, RecoveryInput, RecoveryService, TaskScheduler } from './ports.js';

/** The seed's `_RECOVERY_GRACE_SECONDS = 30`. */
export const DEFAULT_GRACE_MS = 30_000;

/** A scheduler that can plan a recurrence without its pinned time (the default one can). */
type RecurrenceSource = TaskScheduler & {
  nextRecurrence?: (
    task: Task,
    from: Date,
    ctx: PlanningContext,
    options?: FollowUpOptions,
  ) => Occurrence | undefined;
};

export type RecoveryServiceOptions = Readonly<{
  /** Plans the retries and recurrences. @default DefaultTaskScheduler */
  scheduler?: RecurrenceSource;
  /**
   * How late an occurrence must be before recovery replaces it; within grace the runtime
   * triggers it late instead. @default 30_000
   */
  graceMs?: number;
}>;

/** Still waiting in the read model: never triggered, finished, cancelled or followed up. */
function isPending(execution: Execution | undefined): boolean {
  if (execution === undefined) return true;
  if (execution.triggered || execution.followUpId !== undefined) return false;
  return execution.state === 'scheduled' || execution.state === 'missed';
}

/**
 * The default {@link RecoveryService}. An occurrence is recovered when it is more than
 * `graceMs` late, still pending (no execution, or `scheduled`/`missed` without a trigger or a
 * follow-up), has no follow-up among the listed occurrences, is not pinned (a pinned time is
 * a promise about that instant; running it elsewhere would break it) and its task still
 * exists. Each such occurrence gets at most one replacement, never two:
 * - a retry (`cause: 'retry'`, `attempt + 1`) while its task's policy has retries left and a
 *   slot is free within the retry window;
 * - otherwise, for a recurring task, the next recurrence strictly after `now` (`cause:
 *   'recovery'`, `attempt` 0). Several missed occurrences of one task share that single
 *   next recurrence: only the first (earliest) gets it;
 * - otherwise nothing (a one-shot task out of retries is simply missed).
 *
 * Every replacement has `parentId` set to the missed occurrence. Occurrences are handled
 * earliest first and each replacement occupies its place before the next is planned, so a
 * batch never collides with itself. Nothing passed in is modified.
 */
export class DefaultRecoveryService implements RecoveryService {
  readonly #scheduler: RecurrenceSource;
  readonly #graceMs: number;

  constructor(options: RecoveryServiceOptions = {}) {
    this.#scheduler = options.scheduler ?? new DefaultTaskScheduler();
    this.#graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  }

  recoverMissed(input: RecoveryInput): readonly Occurrence[] {
    const nowMs = input.now.getTime();
    const known = new Set(input.occurrences.map((o) => o.id));
    const followedUp = new Set<string>();
    for (const o of input.occurrences) if (o.parentId !== undefined) followedUp.add(o.parentId);
    const missed = [...new Map(input.occurrences.map((o) => [o.id, o])).values()]
      .filter(
        (o) =>
          o.pinnedTime === undefined &&
          !isCatchUpRun(o) &&
          !followedUp.has(o.id) &&
          nowMs - Date.parse(o.scheduledFor) > this.#graceMs &&
          isPending(input.executions.get(o.id)),
      )
      .sort(
        (a, b) => Date.parse(a.scheduledFor) - Date.parse(b.scheduledFor) || (a.id < b.id ? -1 : 1),
      );

    const occupancy = new CalendarOccupancy(input.ctx.calendar, input.ctx.occupancy);
    const ctx: PlanningContext = { calendar: input.ctx.calendar, occupancy };
    const recurred = new Set<string>();
    const created: Occurrence[] = [];
    for (const occurrence of missed) {
      const task = input.tasks.get(occurrence.taskId);
      if (task === undefined) continue;
      const replacement = this.#replace(occurrence, task, input.now, ctx, recurred);
      if (replacement === undefined || known.has(replacement.id)) continue;
      known.add(replacement.id);
      // A task outside the calendar takes no place from the others.
      if (task.calendar !== 'ignore') occupancy.hold(replacement.id, replacement.scheduledFor);
      created.push(replacement);
    }
    return Object.freeze(created);
  }

  #replace(
    occurrence: Occurrence,
    task: Task,
    now: Date,
    ctx: PlanningContext,
    recurred: Set<string>,
  ): Occurrence | undefined {
    if (this.#scheduler.shouldRetry(occurrence, task)) {
      const retry = this.#scheduler.retryOccurrence(occurrence, task, now, ctx);
      if (retry !== undefined) return retry;
    }
    if (task.recurrence === undefined || recurred.has(task.id)) return undefined;
    recurred.add(task.id);
    const options: FollowUpOptions = { cause: 'recovery', parentId: occurrence.id };
    const source = this.#scheduler;
    if (source.nextRecurrence !== undefined) return source.nextRecurrence(task, now, ctx, options);
    // A user's scheduler without nextRecurrence: re-mint its answer as this recovery.
    const next = source.nextOccurrence(task, now, ctx);
    if (next === undefined) return undefined;
    return makeOccurrence({
      taskId: task.id,
      cause: 'recovery',
      scheduledFor: next.scheduledFor,
      slotName: next.slotName,
      parentId: occurrence.id,
      moved: next.moved,
    });
  }
}

/** The default recovery service. */
export function createRecoveryService(
  options: RecoveryServiceOptions = {},
): DefaultRecoveryService {
  return new DefaultRecoveryService(options);
}
