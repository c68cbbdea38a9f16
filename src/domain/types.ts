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

/**
 * How an occurrence came to exist: a task's first run (`initial`), a retry, the series' next
 * recurrence, a recovery of a missed one, a run by hand (`manual`), a run catching up a slot
 * that passed unnoticed (`catch-up`, per the task's `catchUp` policy) or one of a past range
 * run on request (`backfill`). The one list of causes; the type is derived from it.
 */
export const OCCURRENCE_CAUSES = [
  'initial',
  'retry',
  'recurrence',
  'recovery',
  'manual',
  'catch-up',
  'backfill',
] as const;
export type OccurrenceCause = (typeof OCCURRENCE_CAUSES)[number];

/**
 * What happens to a recurring task's slots whose time passed while nothing ran them (the
 * scheduler was down, paused or asleep, or the task was paused): `skip` records them and runs
 * none, `latest` runs one catch-up run now for them all, `all` runs each, oldest first, one
 * after another, up to `maxRuns`.
 */
export type CatchUpPolicyName = 'skip' | 'latest' | 'all';

/** A task's catch-up policy as stored (see {@link CatchUpPolicyName}). */
export type CatchUpPolicy = Readonly<{
  policy: CatchUpPolicyName;
  /** Slots older than this (before now) are recorded skipped, not run. No window when absent. */
  windowMs?: number;
  /** With `all`: at most this many catch-up runs per batch; the rest are recorded skipped. */
  maxRuns?: number;
}>;

/**
 * What happens to a recurring task's slot that comes due while the previous run of the task
 * is still running: `skip` records it and runs nothing for it; `bufferOne` keeps at most one
 * run for the slots that came due, started when the running one ends (the latest slot; the
 * others are recorded skipped); `bufferAll` runs each, one after another; `allowAll` runs it
 * at its time beside the running one; `cancelOther` aborts the running one's handler and runs
 * the new one.
 */
export type OverlapPolicy = 'skip' | 'bufferOne' | 'bufferAll' | 'allowAll' | 'cancelOther';

/**
 * Why slots of a task's recurrence were recorded skipped (`task.slotsSkipped`):
 * - `downtime`: they came due while the scheduler was not running;
 * - `paused`: while the scheduler or the task was paused;
 * - `sleep`: while the machine slept, the clock jumped or the event loop was held up;
 * - `degraded`: while the store refused writes;
 * - `overlap`: while the task's previous run was still running (its `overlap` policy);
 * - `outside-window`: they are older than the task's catch-up window;
 * - `over-cap`: the catch-up had already planned its `maxRuns` runs;
 * - `caught-up`: one catch-up run (policy `latest`) stands for them.
 */
export type SlotSkipReason =
  | 'downtime'
  | 'paused'
  | 'sleep'
  | 'degraded'
  | 'overlap'
  | 'outside-window'
  | 'over-cap'
  | 'caught-up';

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

/**
 * An RFC 5545 recurrence rule, evaluated by rrule-temporal: one `DTSTART` in an IANA zone
 * (`TZID`) or UTC, one `RRULE` (`COUNT` and `UNTIL` end the series), any `EXDATE` (times
 * skipped) and `RDATE` (times added) lines. An instance at a local time that does not exist
 * (a spring-forward gap) is left out, and one that happens twice runs at its first
 * occurrence, as RFC 5545 §3.3.10 and §3.3.5 say.
 */
export type RruleRecurrence = Readonly<{
  kind: 'rrule';
  /** The rule in normal form: one property a line, e.g. `DTSTART;TZID=…:…\nRRULE:FREQ=…`. */
  rrule: string;
}>;

export type Recurrence = IntervalRecurrence | CronRecurrence | RruleRecurrence;

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
  /** At most this many of the task's handlers execute at once (see `SchedulerOptions.concurrency`). */
  maxConcurrent?: number;
  /**
   * `'ignore'`: the calendar does not apply to this task (job-style work): its occurrences
   * run at exactly their times, whatever the working hours, slots, holidays or cap, may share
   * an instant, and take no place from other tasks.
   */
  calendar?: 'ignore';
  /**
   * Spreads the recurrence's due times: each is delayed by `[0, jitterMs]` ms, the same delay
   * every time that due time is planned (derived from a hash of the task and the due time).
   * One-shot `startAt`, pinned times and retries are not moved. At most an hour.
   */
  jitterMs?: number;
  /**
   * Set while the task is paused (`pauseTask`): its waiting occurrences are not triggered by
   * time until `resumeTask`. State rather than definition: `defineTask` with the same
   * definition keeps it, and only `task.paused` / `task.resumed` facts change it.
   */
  paused?: true;
  /** What becomes of slots that passed unrun (downtime, pause, sleep). @default skip */
  catchUp?: CatchUpPolicy;
  /** What becomes of a slot due while the previous run still runs. @default skip */
  overlap?: OverlapPolicy;
}>;

/**
 * Why the planner placed an occurrence elsewhere than the time its schedule asked for:
 * - `working-hours`: that time is outside the day's working hours, or the weekday has none;
 * - `holiday`: that date is one of the calendar's holidays;
 * - `cap-per-day`: that day already holds `maxPerDay` occurrences;
 * - `instant-taken`: another occurrence starts at that instant (`exclusiveInstants`);
 * - `slot`: the day only accepts its slots' start times, and that time is none of them;
 * - `pinned`: the task's pinned time comes before the recurrence's next due time;
 * - `jitter`: the task's `jitterMs` delayed it (and the calendar took the delayed time);
 * - `calendar`: a custom `CalendarPlanner` refused the time without saying why.
 */
export type PlacementReason =
  | 'working-hours'
  | 'holiday'
  | 'cap-per-day'
  | 'instant-taken'
  | 'slot'
  | 'pinned'
  | 'jitter'
  | 'calendar';

/** The time an occurrence's schedule asked for, when the planner placed it elsewhere, and why. */
export type PlacementMove = Readonly<{ from: IsoInstant; reason: PlacementReason }>;

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
  /**
   * Set when the planner placed it elsewhere than the time its schedule asked for: that time
   * and why (the calendar's rule, the task's pinned time or its jitter). Not part of the id.
   */
  moved?: PlacementMove;
  /**
   * The slot of the task's recurrence this run stands for, when it runs at another time: a
   * catch-up or backfill run, or a run an `overlap` policy buffered. Part of the id.
   */
  slot?: IsoInstant;
  /**
   * The last slot of the batch a catch-up or backfill run belongs to: when it ends, the next
   * slot of the recurrence up to this one runs (one after another, oldest first). Part of
   * the id.
   */
  through?: IsoInstant;
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
 * How an occurrence itself ended, whatever followed it: its handler succeeded (`completed`),
 * failed, or its time passed without a trigger (`missed`). `Execution.state` says where the
 * occurrence stands now — a follow-up moves it on to `retrying`, `recurred` or `recovered` —
 * and `outcome` keeps this.
 */
export type ExecutionOutcome = 'completed' | 'failed' | 'missed';

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
  | Readonly<{
      ok: true;
      durationMs: number;
      waitedForAbandonedMs?: number;
      waitedForPlaceMs?: number;
    }>
  | Readonly<{
      ok: false;
      durationMs: number;
      error: ErrorRecord;
      waitedForAbandonedMs?: number;
      waitedForPlaceMs?: number;
    }>;

/**
 * One scheduler instance's lease on a log: a heartbeat record kept beside the log, outside
 * its hash chain. Held from the scheduler's first `start()` until `stop()`, renewed every few
 * seconds; a lease whose `expiresAtMs` passed, or whose process is gone from this host, is
 * stale and may be taken over. Times are epoch ms on the holder's clock.
 */
export type InstanceLease = Readonly<{
  /** The scheduler's instance id, as its `scheduler.*` entries record it. */
  instanceId: string;
  /** The holder's process id on `host`. */
  pid: number;
  /** The holder's host name (`os.hostname()`). */
  host: string;
  /** When the holder took the lease. */
  startedAtMs: number;
  /** When the holder last renewed it. */
  renewedAtMs: number;
  /** When it lapses unless renewed again. */
  expiresAtMs: number;
  /**
   * `true` while the holder is paused: alive (its running handlers still finish and are
   * recorded) but claiming nothing, so a fleet spreads its share over the running instances.
   * Kept by fleet stores; an exclusive store, with one holder, leaves it out.
   */
  paused?: boolean;
}>;

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
  outcome?: ExecutionOutcome;
  triggeredAt?: IsoInstant;
  /** The scheduler instance that triggered it (see `occurrence.triggered`), where recorded. */
  triggeredBy?: string;
  finishedAt?: IsoInstant;
  error?: ErrorRecord;
  /** Id of the follow-up occurrence (retry, recurrence or recovery), if any. */
  followUpId?: string;
  /**
   * Set when its task had `calendar: 'ignore'` as it was scheduled: it takes no place on the
   * calendar (counts against no cap, holds no instant).
   */
  outsideCalendar?: true;
  history: readonly HistoryEntry[];
}>;

// ── Input types: what the public API accepts ─────────────────────────────────────────────
// Each of these is the type of an untrusted input that a `parse*` validator reads. The
// validators' field tables are typed against them (see validateFieldTable.ts), so a field
// added to a type without a rule, or a rule without a field, does not compile; and unknown
// keys are refused at run time from the same tables.

/** An instant as the API accepts it: a `Date`, epoch milliseconds, or ISO-8601 with an offset. */
export type InstantInput = Date | IsoInstant | number;

/** The payload type a task has when nothing more precise is known. JSON data only. */
export type DefaultPayload = Readonly<Record<string, unknown>>;

/** A retry policy as given: every field optional, defaults filled by the validator. */
export type RetryPolicyInput = Readonly<{
  /** Retries after a failure or miss, 0–1000. @default 0 */
  maxRetries?: number;
  /** Delay before retry 1, ms (0 to one year). @default 3_600_000 */
  delayMs?: number;
  /** @default 'fixed' */
  backoff?: 'fixed' | 'exponential';
  /** Cap on a single delay, ≥ `delayMs`. */
  maxDelayMs?: number;
}>;

/** A cron recurrence as given; `kind` may be left out. */
export type CronRecurrenceInput = Readonly<{ kind?: 'cron'; cron: string; timeZone?: string }>;

/** An interval recurrence as given; `kind` may be left out. */
export type IntervalRecurrenceInput = Readonly<{
  kind?: 'interval';
  everyMs: number;
  anchor?: InstantInput;
}>;

/**
 * An RFC 5545 rule as given; `kind` may be left out. Lines (DTSTART, RRULE, EXDATE, RDATE)
 * are separated by newlines or spaces.
 */
export type RruleRecurrenceInput = Readonly<{ kind?: 'rrule'; rrule: string }>;

/**
 * `{ cron: '30 9 * * 1-5' }`, `{ everyMs: 3_600_000 }` or
 * `{ rrule: 'DTSTART;TZID=Europe/Berlin:20260105T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO' }` (the
 * stored form with `kind` too).
 */
export type RecurrenceInput = CronRecurrenceInput | IntervalRecurrenceInput | RruleRecurrenceInput;

/**
 * What `defineTask` accepts. `H` narrows `handler` to the names of registered handlers and
 * `P` types the payload that handler receives (see {@link TaskInputFor}).
 */
export type TaskInput<H extends string = string, P = DefaultPayload> = Readonly<{
  id: string;
  /** 1–500 characters after trimming. */
  title: string;
  /** At most 10 000 characters. */
  description?: string;
  /** 1–2 000 characters after trimming. */
  link?: string;
  /** @default the scheduler's clock at definition time */
  createdAt?: InstantInput;
  startAt?: InstantInput;
  recurrence?: RecurrenceInput;
  /** @default 'medium' */
  priority?: Priority;
  /** Slot ids of the calendar, tried first in order. @default [] */
  preferredSlots?: readonly string[];
  retry?: RetryPolicyInput;
  pinnedTime?: InstantInput;
  handler?: H;
  /** 1 ms to 2^31-1 ms. */
  timeoutMs?: number;
  /** JSON data within the payload limits (docs/api.md). */
  payload?: P;
  /**
   * At most this many runs of the task's handler at once, 1–10 000; a run beyond it waits
   * for a place after its trigger is recorded (`waitedForPlaceMs`). @default no limit
   */
  maxConcurrent?: number;
  /**
   * `'ignore'` for job-style work that runs at exact times outside the calendar's rules (no
   * working hours, slots, cap per day or exclusive instants). @default 'apply'
   */
  calendar?: 'apply' | 'ignore';
  /**
   * Delay each due time of the recurrence by a deterministic `[0, jitterMs]` ms, 0 to
   * 3 600 000 (an hour); keep it below the recurrence's period. @default 0
   */
  jitterMs?: number;
  /**
   * `true` pauses the task (recorded as `task.paused`), `false` resumes it; left out, a task
   * that exists keeps its state and a new one runs. Accepted so that a task read back with
   * `getTask` validates to itself.
   */
  paused?: boolean;
  /**
   * What becomes of the recurrence's slots that passed unrun (the scheduler down, paused or
   * asleep, the task paused); every slot not run is recorded (`task.slotsSkipped`).
   * @default { policy: 'skip' }
   */
  catchUp?: CatchUpPolicyInput;
  /**
   * What becomes of a slot that comes due while the task's previous run still runs; every
   * slot not run is recorded. @default 'skip'
   */
  overlap?: OverlapPolicy;
}>;

/** A catch-up policy as given. */
export type CatchUpPolicyInput = Readonly<{
  policy: CatchUpPolicyName;
  /** 1 ms to 366 days: older slots are recorded skipped (`outside-window`). @default no window */
  windowMs?: number;
  /** With `all`, 1–10 000 runs at most; the rest recorded skipped (`over-cap`). @default 100 */
  maxRuns?: number;
}>;

/** Fields of a task that `updateTask` may change: all but `id` and `createdAt`. */
type ChangeableKey = Exclude<keyof TaskInput, 'id' | 'createdAt'>;

/**
 * What `updateTask` accepts: any subset of a task's fields except `id` and `createdAt`.
 * `retry` is merged into the task's policy field by field; every other field replaces the
 * old value. `null` removes an optional field (back to its default).
 */
export type TaskChanges<H extends string = string, P = DefaultPayload> = Readonly<
  { title?: string } & {
    [K in Exclude<ChangeableKey, 'title'>]?: TaskInput<H, P>[K] | null;
  }
>;

/** `T` with every property writable, all the way down: what a recipe's draft is. */
export type DeepMutable<T> = T extends readonly (infer U)[]
  ? DeepMutable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: DeepMutable<T[K]> }
    : T;

/** A writable deep copy of a task, handed to an `updateTask` recipe. */
export type TaskDraft = DeepMutable<Task>;

/**
 * What `updateTask(id, recipe)` accepts instead of changes: a function that changes the
 * draft it is given (a deep copy of the task) in place, or returns the task it should become.
 * The result is validated whole, like `defineTask` input; `id` and `createdAt` must stay.
 * Synchronous: a recipe that returns a promise is refused.
 * @example
 * await scheduler.updateTask('standup', (draft) => {
 *   if (draft.recurrence?.kind === 'cron') draft.recurrence.cron = '0 10 * * 1-5';
 * });
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a recipe that edits its draft in place returns nothing, as immer's do
export type TaskRecipe = (draft: TaskDraft) => TaskDraft | TaskInput | undefined | void;

/** A writable deep copy of the calendar, handed to a `configureCalendar` recipe. */
export type CalendarDraft = DeepMutable<CalendarConfig>;

/** What `configureCalendar(recipe)` accepts: {@link TaskRecipe}'s counterpart for the calendar. */
export type CalendarRecipe = (
  draft: CalendarDraft,
  // biome-ignore lint/suspicious/noConfusingVoidType: as for TaskRecipe
) => CalendarDraft | CalendarInput | undefined | void;

/** A slot of the calendar's pool as given. */
export type TimeSlotInput = Readonly<{ id: string; start: WallTime; label?: string }>;

/** One weekday's working hours as given. */
export type WorkingHoursInput = Readonly<{
  start: WallTime;
  end: WallTime;
  slots?: readonly string[];
}>;

/** What `configureCalendar` and `SchedulerOptions.calendar` accept. */
export type CalendarInput = Readonly<{
  timeZone: string;
  /** @default every day open 00:00–24:00 */
  workingHours?: Readonly<Partial<Record<Weekday, WorkingHoursInput>>>;
  /** @default [] */
  slots?: readonly TimeSlotInput[];
  maxPerDay?: number;
  holidays?: readonly LocalDate[];
  /** @default true */
  exclusiveInstants?: boolean;
}>;

/**
 * What `scheduleOccurrence` accepts: an occurrence, with its instants in any accepted form.
 * (Named apart from the occurrence machine's actor input, `OccurrenceActorInput`.)
 */
export type ScheduledOccurrenceInput = Readonly<{
  id: string;
  taskId: string;
  scheduledFor: InstantInput;
  slotName?: string;
  pinnedTime?: InstantInput;
  /** @default 0 */
  attempt?: number;
  cause: OccurrenceCause;
  parentId?: string;
  moved?: Readonly<{ from: InstantInput; reason: PlacementReason }>;
  slot?: InstantInput;
  through?: InstantInput;
}>;

/**
 * One page of a query's answer. `nextCursor` is set when more items follow: pass it back as
 * `cursor` (with the same filters) for the next page.
 */
export type Page<T> = Readonly<{ items: readonly T[]; nextCursor?: string }>;

/**
 * Paging and time bounds shared by the store queries (`history`, `listOccurrences`,
 * `listExecutions`).
 */
export type PageRequest = Readonly<{
  /** Only items at or after this instant (entry time for `history`, `scheduledFor` otherwise). */
  from?: InstantInput;
  /** Only items strictly before this instant. */
  to?: InstantInput;
  /** Items per page, 1–10 000. @default 1000 */
  limit?: number;
  /**
   * `nextCursor` of the previous page; `undefined` (as a last page's `nextCursor` is) means
   * the first page.
   */
  cursor?: string | undefined;
  /** Oldest first (`'asc'`) or newest first (`'desc'`). @default 'asc' */
  order?: 'asc' | 'desc';
}>;

/** Which entries `history` returns: those of a task (and its occurrences), or of one occurrence. */
export type HistoryQuery = Readonly<({ taskId: string } | { occurrenceId: string }) & PageRequest>;

/** Options of `nextRuns`. */
export type NextRunsOptions = Readonly<{
  /**
   * List the runs due at or after this instant, following the recurrence from there, instead
   * of from the task's next pending occurrence.
   */
  from?: InstantInput;
}>;

/** What `backfill(taskId, options)` accepts. */
export type BackfillOptions = Readonly<{
  /** The range's start (inclusive): its first slot is the recurrence's first at or after it. */
  from: InstantInput;
  /** The range's end (exclusive), at most now. */
  to: InstantInput;
  /**
   * How the backfill's runs overlap each other: `bufferAll` runs them one after another,
   * oldest first; `allowAll` starts them all at once. @default 'bufferAll'
   */
  overlap?: Extract<OverlapPolicy, 'bufferAll' | 'allowAll'>;
}>;

/** What `triggerNow` can be asked to fire: a pending occurrence, or a task (a new manual run). */
export type TriggerTarget = Readonly<{ occurrenceId: string } | { taskId: string }>;

/**
 * Which occurrences `listOccurrences` / `listExecutions` return, a page at a time. `state`
 * filters on where an occurrence stands now (its last fact: `done` is a run that succeeded
 * and planned nothing further, `recurred` one followed by its next recurrence); `outcome` on
 * how it ran, whatever followed (`completed` finds every successful run). Both together must
 * both hold.
 */
export type OccurrenceQuery = Readonly<
  {
    taskId?: string;
    state?: ExecutionState | readonly ExecutionState[];
    outcome?: ExecutionOutcome | readonly ExecutionOutcome[];
  } & PageRequest
>;

/** Paging and bounds as a store answers them: validated, instants in epoch ms. */
export type ResolvedPage = Readonly<{
  fromMs?: number;
  toMs?: number;
  limit: number;
  /**
   * Answer only items past this position (a sequence number) in the query's order: after it
   * ascending, before it descending. From the cursor.
   */
  after?: number;
  descending: boolean;
}>;

/** A validated {@link OccurrenceQuery}: what a store's `queryRecords` answers. */
export type RecordQuery = Readonly<
  {
    taskId?: string;
    states?: readonly ExecutionState[];
    outcomes?: readonly ExecutionOutcome[];
  } & ResolvedPage
>;

/** A validated {@link HistoryQuery}: what a store's `queryHistory` answers. */
export type EntryQuery = Readonly<({ taskId: string } | { occurrenceId: string }) & ResolvedPage>;

// ── Handler-aware input types ────────────────────────────────────────────────────────────

/** The handler names of a handler map: `'ping' | 'remind'` for `{ ping, remind }`. */
export type HandlerName<H> = Extract<keyof H, string>;

/**
 * The payload type a handler declares through its context's `task.payload`, else
 * {@link DefaultPayload}.
 */
export type PayloadOf<F> = F extends (occurrence: never, context: infer C) => unknown
  ? C extends { readonly task: { readonly payload?: infer P } }
    ? unknown extends P
      ? DefaultPayload
      : [Exclude<P, undefined>] extends [never]
        ? DefaultPayload
        : Exclude<P, undefined>
    : DefaultPayload
  : DefaultPayload;

/**
 * The task input a scheduler with handler map `H` accepts: a task without a handler, or one
 * naming a registered handler with that handler's payload type. A plain string-keyed map
 * (`Handlers`) accepts any handler name.
 * @example
 * type Input = TaskInputFor<{ ping: (o: Occurrence) => void }>;
 * const ok: Input = { id: 'a', title: 'A', handler: 'ping' };
 * // @ts-expect-error 'pnig' is not a registered handler
 * const typo: Input = { id: 'a', title: 'A', handler: 'pnig' };
 */
export type TaskInputFor<H> =
  | TaskInput<never>
  | { [K in HandlerName<H>]: TaskInput<K, PayloadOf<H[K]>> }[HandlerName<H>];

/** {@link TaskChanges} for a scheduler with handler map `H`. */
export type TaskChangesFor<H> = TaskChanges<HandlerName<H>>;
