import type {
  CalendarConfig,
  Execution,
  IsoInstant,
  Occurrence,
  PlacementMove,
  PlacementReason,
  Priority,
  Task,
} from '../domain/types.js';

/**
 * What is already on the calendar. The planners ask it questions instead of scanning lists,
 * so a read model with 100 000 occurrences answers in O(1). `occupancyOf` builds one from a
 * plain list; the runtime keeps one up to date incrementally.
 */
export interface Occupancy {
  /** Occurrences counted against the cap on a local date (`YYYY-MM-DD` in the calendar zone). */
  countOnDay(localDate: string, excludeId?: string): number;
  /** True when some occurrence other than `excludeId` is scheduled at exactly `atMs`. */
  isTaken(atMs: number, excludeId?: string): boolean;
}

/** Everything a planning decision depends on besides the task and the time. */
export type PlanningContext = Readonly<{
  calendar: CalendarConfig;
  occupancy: Occupancy;
}>;

/**
 * A place on the calendar: an instant, the slot it starts, if any, and — when it is not the
 * time that was asked for — that time and why it was not taken (`placeDueTime` sets it).
 */
export type Placement = Readonly<{ at: IsoInstant; slotName?: string; moved?: PlacementMove }>;

export type SlotSearchOptions = Readonly<{
  /** Slot ids tried first, in order. */
  preferredSlots?: readonly string[];
  priority?: Priority;
  /** How many days to search. @default 14 */
  windowDays?: number;
  /** Occurrence whose own current placement does not count as taken. */
  excludeId?: string;
}>;

/** The seed's CalendarPlanner: working hours, slot pool, cap per day, pinned times. */
export interface CalendarPlanner {
  isSlotAvailable(at: Date, ctx: PlanningContext, excludeId?: string): boolean;
  isPinnedTimeValid(at: Date, ctx: PlanningContext, excludeId?: string): boolean;
  /**
   * Why `isSlotAvailable` refuses `at` (`undefined` when it does not), so that an occurrence
   * placed elsewhere can say why. Optional: a planner without it is reported as
   * `'calendar'`.
   */
  whyUnavailable?(at: Date, ctx: PlanningContext, excludeId?: string): PlacementReason | undefined;
  /** First available placement strictly after `after`, or `undefined` within the window. */
  nextAvailableSlot(
    after: Date,
    ctx: PlanningContext,
    options?: SlotSearchOptions,
  ): Placement | undefined;
}

/** The seed's TaskScheduler: due / missed / retry decisions and the next occurrence. */
export interface TaskScheduler {
  isDue(occurrence: Occurrence, now: Date): boolean;
  isMissed(occurrence: Occurrence, now: Date, graceMs: number): boolean;
  /** True when `occurrence` (failed or missed) may be retried under the task's policy. */
  shouldRetry(occurrence: Occurrence, task: Task): boolean;
  /**
   * The task's first occurrence at or after `now` (its pinned time, its one-shot `startAt`,
   * or the first due time of its recurrence), or `undefined` when it has none.
   */
  firstOccurrence(task: Task, now: Date, ctx: PlanningContext): Occurrence | undefined;
  /** The task's next occurrence strictly after `from`, or `undefined`. */
  nextOccurrence(task: Task, from: Date, ctx: PlanningContext): Occurrence | undefined;
  /** The retry of a failed or missed `occurrence`, or `undefined` when none is allowed/possible. */
  retryOccurrence(
    occurrence: Occurrence,
    task: Task,
    now: Date,
    ctx: PlanningContext,
  ): Occurrence | undefined;
}

export type RecoveryInput = Readonly<{
  /** Read-model state per occurrence id (absent = never recorded beyond scheduling). */
  executions: ReadonlyMap<string, Execution>;
  occurrences: readonly Occurrence[];
  tasks: ReadonlyMap<string, Task>;
  now: Date;
  ctx: PlanningContext;
}>;

/** The seed's RecoveryService: what to schedule for occurrences whose time has passed. */
export interface RecoveryService {
  recoverMissed(input: RecoveryInput): readonly Occurrence[];
}
