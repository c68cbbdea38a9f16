/**
 * Domain values. Every value here is a frozen, JSON-serialisable plain object: instants are
 * ISO-8601 UTC strings (`2026-03-29T07:30:00.000Z`, always produced by `Date#toISOString`),
 * wall-clock times are `"HH:MM"` strings read in the calendar's IANA time zone, durations
 * are milliseconds. Values are produced from untrusted input only by `src/domain/validate*`.
 */

/** An instant as an ISO-8601 UTC string, exactly as `Date#toISOString()` prints it. */
export type IsoInstant = string;

/** A wall-clock time of day, `"HH:MM"` (24 h), read in the calendar's time zone. */
export type WallTime = string;

/** A calendar date `"YYYY-MM-DD"` in the calendar's time zone. */
export type LocalDate = string;

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export type Priority = 'low' | 'medium' | 'high';

/** How an occurrence came to exist. */
export type OccurrenceCause = 'initial' | 'retry' | 'recurrence' | 'recovery' | 'manual';

/** A named start time in the calendar's slot pool, e.g. `{ id: 'morning', start: '09:30' }`. */
export type TimeSlot = Readonly<{
  id: string;
  start: WallTime;
  label?: string;
}>;

/**
 * Working hours of one weekday: `[start, end)` in wall-clock time. When `slots` is given the
 * day only accepts occurrences that start exactly at one of those slots' start times.
 */
export type WorkingHours = Readonly<{
  start: WallTime;
  end: WallTime;
  slots?: readonly string[];
}>;

/**
 * The calendar every occurrence must fit. A weekday missing from `workingHours` has no
 * working hours (nothing is scheduled that day); `holidays` removes single dates.
 */
export type CalendarConfig = Readonly<{
  timeZone: string;
  workingHours: Readonly<Partial<Record<Weekday, WorkingHours>>>;
  slots: readonly TimeSlot[];
  /** Cap on occurrences per calendar day (in `timeZone`). `undefined` = no cap. */
  maxPerDay?: number;
  holidays?: readonly LocalDate[];
  /**
   * When true (the seed's rule, the default) no two occurrences start at the same instant:
   * a second one moves to the next free slot or minute. Set false for job-style schedules
   * where many occurrences may share a time (the cap per day still applies).
   */
  exclusiveInstants?: boolean;
}>;

/** A fixed interval, anchored so that due times never drift: anchor + k × everyMs. */
export type IntervalRecurrence = Readonly<{
  kind: 'interval';
  everyMs: number;
  /** First due time of the series; defaults to the task's `startAt` or `createdAt`. */
  anchor?: IsoInstant;
}>;

/** A cron expression (5 or 6 fields, evaluated by croner) in an IANA time zone. */
export type CronRecurrence = Readonly<{
  kind: 'cron';
  cron: string;
  /** Defaults to the calendar's time zone. */
  timeZone?: string;
}>;

export type Recurrence = IntervalRecurrence | CronRecurrence;

/**
 * What to do when an occurrence fails (handler threw or timed out) or is missed.
 * Retry n waits `delayMs × factor^(n-1)` (factor 2 when `backoff` is `'exponential'`),
 * capped at `maxDelayMs`.
 */
export type RetryPolicy = Readonly<{
  maxRetries: number;
  delayMs: number;
  backoff: 'fixed' | 'exponential';
  maxDelayMs?: number;
}>;

export type Task = Readonly<{
  id: string;
  title: string;
  description?: string;
  link?: string;
  createdAt: IsoInstant;
  /** First due time. Without it (and without a pinned time) the recurrence decides. */
  startAt?: IsoInstant;
  recurrence?: Recurrence;
  priority: Priority;
  /** Slot ids tried first, in order. */
  preferredSlots: readonly string[];
  retry: RetryPolicy;
  /** An exact instant that bypasses the slot pool (still inside working hours and the cap). */
  pinnedTime?: IsoInstant;
  /** Name of a registered handler; none means a plain reminder. */
  handler?: string;
  /** Per-attempt handler timeout; the handler's signal is aborted when it passes. */
  timeoutMs?: number;
  /** Free-form, JSON-serialisable data handed to the handler (e.g. the CLI's shell command). */
  payload?: Readonly<Record<string, unknown>>;
}>;

export type Occurrence = Readonly<{
  /** Deterministic: derived from (taskId, cause, scheduledFor, attempt). */
  id: string;
  taskId: string;
  scheduledFor: IsoInstant;
  slotName?: string;
  pinnedTime?: IsoInstant;
  /** 0 for a first run; n for the nth retry. */
  attempt: number;
  cause: OccurrenceCause;
  /** The occurrence this one follows up (retry, recurrence or recovery of). */
  parentId?: string;
}>;

/**
 * Where an occurrence stands, as folded from the log.
 * - `scheduled`: waiting for its time.
 * - `triggered`: the handler is running.
 * - `done` / `failed`: the handler finished / threw, timed out or was interrupted.
 * - `retrying` / `recurred` / `recovered`: a follow-up occurrence was scheduled.
 * - `missed`: its time passed beyond grace without a trigger.
 * - `cancelled`: cancelled by a user or because its task was removed.
 * - `skipped`: the calendar rejected its slot when it was scheduled.
 */
export type ExecutionState =
  | 'scheduled'
  | 'triggered'
  | 'done'
  | 'failed'
  | 'retrying'
  | 'recurred'
  | 'recovered'
  | 'missed'
  | 'cancelled'
  | 'skipped';

/**
 * A failure as the log keeps it. Built by `toErrorRecord`, so it is always plain, JSON-safe
 * and bounded, whatever was thrown.
 */
export type ErrorRecord = Readonly<{
  name: string;
  message: string;
  /** The handler outlived its `timeoutMs` (the error is a `TimeoutError`). */
  timedOut?: boolean;
  /** `name` or `message` was cut to its bound; the cut text ends with a marker. */
  truncated?: true;
  /** The error's `cause`, recorded the same way, to a bounded depth. */
  cause?: ErrorRecord;
}>;

/** The outcome of one handler run, as recorded: it succeeded, or it failed with an error. */
export type RunOutcome =
  | Readonly<{ ok: true; durationMs: number; waitedForAbandonedMs?: number }>
  | Readonly<{ ok: false; durationMs: number; error: ErrorRecord; waitedForAbandonedMs?: number }>;

/**
 * Whether the scheduler has not started yet, is running, is running but cannot write to its
 * store (`degraded`: it retries, triggers nothing by time, and resumes when the store
 * recovers), is paused, or was stopped for good.
 */
export type SchedulerStatus = 'idle' | 'running' | 'degraded' | 'paused' | 'stopped';

/** Why a waiting occurrence was cancelled: by the user, or because its task changed or went. */
export type CancelReason = 'user' | 'task-removed' | 'task-updated';

/** One step of an occurrence's history: the event that caused it and the state it led to. */
export type HistoryEntry = Readonly<{
  seq: number;
  type: string;
  at: IsoInstant;
  state: ExecutionState;
}>;

/** The read model's view of one occurrence (the seed's `TaskExecution`). */
export type Execution = Readonly<{
  occurrenceId: string;
  taskId: string;
  scheduledFor: IsoInstant;
  attempt: number;
  cause: OccurrenceCause;
  state: ExecutionState;
  /** Retries still allowed by the task's policy after this occurrence. */
  retriesRemaining: number;
  /** True once `occurrence.triggered` was recorded; never triggered twice. */
  triggered: boolean;
  /**
   * How the occurrence itself ended, kept when a follow-up moves `state` on to `retrying`,
   * `recurred` or `recovered`: `completed` (handler succeeded), `failed`, or `missed`.
   */
  outcome?: 'completed' | 'failed' | 'missed';
  triggeredAt?: IsoInstant;
  finishedAt?: IsoInstant;
  error?: ErrorRecord;
  /** Id of the follow-up occurrence (retry, recurrence or recovery), if any. */
  followUpId?: string;
  history: readonly HistoryEntry[];
}>;
