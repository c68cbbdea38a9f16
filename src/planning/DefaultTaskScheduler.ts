import { makeOccurrence } from '../domain/makeOccurrence.js';
import type { Occurrence, OccurrenceCause, Task } from '../domain/types.js';
import { DefaultCalendarPlanner } from './DefaultCalendarPlanner.js';
import { firstDueAtOrAfter, nextDueAfter } from './dueTimes.js';
import { jitterOf } from './jitter.js';
import { moveOf, placeDueTime } from './placeDueTime.js';
import type { CalendarPlanner, Placement, PlanningContext, TaskScheduler } from './ports.js';
import { retryDelayMs } from './retryDelay.js';

export type TaskSchedulerOptions = Readonly<{
  /** Judges slots; a user's own planner is honoured for every decision. @default DefaultCalendarPlanner */
  planner?: CalendarPlanner;
  /** Days searched for a slot for a recurrence or first occurrence. @default 30 */
  recurrenceWindowDays?: number;
  /** Days searched for a slot for a retry. @default 7 */
  retryWindowDays?: number;
}>;

/** Who an occurrence follows and why, for follow-ups the runtime or recovery creates. */
export type FollowUpOptions = Readonly<{
  /** The occurrence this one follows up. */
  parentId?: string;
  /** @default 'recurrence' */
  cause?: Extract<OccurrenceCause, 'recurrence' | 'recovery'>;
}>;

/**
 * The default {@link TaskScheduler}: pure decisions about one task's occurrences.
 *
 * Causes: the first occurrence of a task (its pinned time, its one-shot `startAt`, or the
 * first due time of its recurrence) is `'initial'`, and so is a pinned-time occurrence
 * wherever it is planned, so both paths mint the same id. Every later occurrence of the
 * series is `'recurrence'` (or `'recovery'` when recovery replaces a missed one); a retry is
 * `'retry'` with `attempt` one above its parent's.
 */
export class DefaultTaskScheduler implements TaskScheduler {
  readonly #planner: CalendarPlanner;
  readonly #recurrenceDays: number;
  readonly #retryDays: number;

  constructor(options: TaskSchedulerOptions = {}) {
    this.#planner = options.planner ?? new DefaultCalendarPlanner();
    this.#recurrenceDays = options.recurrenceWindowDays ?? 30;
    this.#retryDays = options.retryWindowDays ?? 7;
  }

  /** Due once its scheduled time has come (at or before `now`). */
  isDue(occurrence: Occurrence, now: Date): boolean {
    return Date.parse(occurrence.scheduledFor) <= now.getTime();
  }

  /** Missed once more than `graceMs` has passed since its scheduled time. */
  isMissed(occurrence: Occurrence, now: Date, graceMs: number): boolean {
    return now.getTime() - Date.parse(occurrence.scheduledFor) > graceMs;
  }

  /** `attempt` counts retries already made, so a first run (0) may retry while 0 < maxRetries. */
  shouldRetry(occurrence: Occurrence, task: Task): boolean {
    return occurrence.attempt < task.retry.maxRetries;
  }

  /**
   * The next occurrence strictly after `from`: the task's pinned time when it lies after
   * `from` and the calendar accepts it (a pinned time already on the calendar counts as
   * taken, so a follow-up moves on), otherwise the recurrence's next due time placed on the
   * calendar (see {@link nextRecurrence}). A pinned time that comes before the recurrence's
   * next due time records that due time as `moved` (`'pinned'`).
   */
  nextOccurrence(
    task: Task,
    from: Date,
    ctx: PlanningContext,
    options: FollowUpOptions = {},
  ): Occurrence | undefined {
    const pinned = this.#pinned(task, from.getTime() + 1, ctx);
    if (pinned === undefined) return this.nextRecurrence(task, from, ctx, options);
    return this.#pinnedOver(
      task,
      pinned,
      nextDueAfter(task, from.getTime(), ctx.calendar.timeZone),
    );
  }

  /**
   * The recurrence's next occurrence strictly after `from`, ignoring any pinned time: the
   * next due time, delayed by the task's jitter (`jitterOf`), used as is when the calendar
   * accepts it there, otherwise the task's preferred slots and then the other allowed slots
   * from the due time on (priority decides the order, see `DefaultCalendarPlanner`),
   * searched for `recurrenceWindowDays`. A task with `calendar: 'ignore'` keeps the time.
   */
  nextRecurrence(
    task: Task,
    from: Date,
    ctx: PlanningContext,
    options: FollowUpOptions = {},
  ): Occurrence | undefined {
    const due = nextDueAfter(task, from.getTime(), ctx.calendar.timeZone);
    if (due === undefined) return undefined;
    return this.#occurrenceAt(
      task,
      due,
      true,
      ctx,
      options.cause ?? 'recurrence',
      options.parentId,
    );
  }

  /**
   * A new task's first occurrence at or after `now`: its pinned time when valid; else the
   * recurrence's first due time (delayed by the task's jitter); else, for a one-shot task,
   * `startAt` (or `now` when that has passed). `undefined` for a task with none of these (run
   * only by hand).
   */
  firstOccurrence(task: Task, now: Date, ctx: PlanningContext): Occurrence | undefined {
    const nowMs = now.getTime();
    const zone = ctx.calendar.timeZone;
    const pinned = this.#pinned(task, nowMs, ctx);
    if (pinned !== undefined)
      return this.#pinnedOver(task, pinned, firstDueAtOrAfter(task, nowMs, zone));
    if (task.recurrence !== undefined) {
      const due = firstDueAtOrAfter(task, nowMs, zone);
      return due === undefined ? undefined : this.#occurrenceAt(task, due, true, ctx, 'initial');
    }
    if (task.startAt === undefined) return undefined;
    return this.#occurrenceAt(
      task,
      Math.max(Date.parse(task.startAt), nowMs),
      false,
      ctx,
      'initial',
    );
  }

  /**
   * The retry of a failed or missed occurrence, or `undefined` when the policy allows no more
   * (`attempt` reached `maxRetries`) or no slot is free within `retryWindowDays`. Due
   * `retryDelayMs(policy, attempt + 1)` after `now`; placed like a recurrence, with the
   * failed occurrence's own slot preferred first (at exactly that time for a task with
   * `calendar: 'ignore'`).
   */
  retryOccurrence(
    occurrence: Occurrence,
    task: Task,
    now: Date,
    ctx: PlanningContext,
  ): Occurrence | undefined {
    if (!this.shouldRetry(occurrence, task)) return undefined;
    const attempt = occurrence.attempt + 1;
    const due = now.getTime() + retryDelayMs(task.retry, attempt);
    const preferred =
      occurrence.slotName === undefined
        ? task.preferredSlots
        : [occurrence.slotName, ...task.preferredSlots.filter((s) => s !== occurrence.slotName)];
    const placement = this.#place(task, due, due, ctx, preferred, this.#retryDays);
    return placement && this.#mint(task, placement, 'retry', attempt, occurrence.id);
  }

  #pinned(task: Task, notBeforeMs: number, ctx: PlanningContext): Occurrence | undefined {
    if (task.pinnedTime === undefined) return undefined;
    const at = new Date(task.pinnedTime);
    if (at.getTime() < notBeforeMs) return undefined;
    if (task.calendar !== 'ignore' && !this.#planner.isPinnedTimeValid(at, ctx)) return undefined;
    return makeOccurrence({
      taskId: task.id,
      cause: 'initial',
      scheduledFor: task.pinnedTime,
      pinnedTime: task.pinnedTime,
    });
  }

  /** The pinned occurrence, saying so when it takes the place of an earlier due time. */
  #pinnedOver(task: Task, pinned: Occurrence, dueMs: number | undefined): Occurrence {
    if (dueMs === undefined || dueMs >= Date.parse(pinned.scheduledFor)) return pinned;
    return makeOccurrence({
      taskId: task.id,
      cause: pinned.cause,
      scheduledFor: pinned.scheduledFor,
      pinnedTime: pinned.pinnedTime,
      moved: moveOf(dueMs, 'pinned'),
    });
  }

  /**
   * The occurrence for a due time of the task's schedule, delayed by its jitter when
   * `jittered` (recurrence due times), placed on the calendar.
   */
  #occurrenceAt(
    task: Task,
    requestedMs: number,
    jittered: boolean,
    ctx: PlanningContext,
    cause: OccurrenceCause,
    parentId?: string,
  ): Occurrence | undefined {
    const dueMs = jittered
      ? requestedMs + jitterOf(task.id, requestedMs, task.jitterMs ?? 0)
      : requestedMs;
    const placement = this.#place(
      task,
      dueMs,
      requestedMs,
      ctx,
      task.preferredSlots,
      this.#recurrenceDays,
    );
    return placement && this.#mint(task, placement, cause, 0, parentId);
  }

  /**
   * Where a due time goes: on the calendar (`placeDueTime`), or exactly there for a task
   * with `calendar: 'ignore'`.
   */
  #place(
    task: Task,
    dueMs: number,
    requestedMs: number,
    ctx: PlanningContext,
    preferredSlots: readonly string[],
    windowDays: number,
  ): Placement | undefined {
    if (task.calendar === 'ignore') {
      if (!Number.isFinite(dueMs)) return undefined;
      const at = new Date(dueMs).toISOString();
      return Object.freeze(
        dueMs === requestedMs ? { at } : { at, moved: moveOf(requestedMs, 'jitter') },
      );
    }
    return placeDueTime(
      this.#planner,
      dueMs,
      ctx,
      { preferredSlots, priority: task.priority, windowDays },
      requestedMs,
    );
  }

  #mint(
    task: Task,
    placement: Placement,
    cause: OccurrenceCause,
    attempt: number,
    parentId: string | undefined,
  ): Occurrence {
    return makeOccurrence({
      taskId: task.id,
      cause,
      scheduledFor: placement.at,
      attempt,
      slotName: placement.slotName,
      parentId,
      moved: placement.moved,
    });
  }
}

/** The default task scheduler, optionally over a user's own calendar planner. */
export function createTaskScheduler(options: TaskSchedulerOptions = {}): DefaultTaskScheduler {
  return new DefaultTaskScheduler(options);
}
