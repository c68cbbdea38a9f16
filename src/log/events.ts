import type {
  CalendarConfig,
  CancelReason,
  CatchUpPolicyName,
  ErrorRecord,
  IsoInstant,
  Occurrence,
  OverlapPolicy,
  SlotSkipReason,
  Task,
} from '../domain/types.js';

/**
 * The event catalogue. Names are past-tense facts; the log says what happened and the
 * projection decides what it means now. `data` is always JSON-serialisable.
 * Bump {@link SCHEMA_VERSION} and add an upcaster when a payload changes shape. Every entry
 * the runtime appends is built by one constructor in `facts.ts`.
 */
export const SCHEMA_VERSION = 1;

/** Most slot instants one `task.slotsSkipped` entry lists (about 26 KB of JSON). */
export const MAX_SLOTS_PER_ENTRY = 1000;

export type PlanflowEventMap = {
  /** A task was defined (created). */
  'task.defined': { task: Task };
  /** A task's definition was replaced. */
  'task.updated': { task: Task };
  /** A task was removed; its pending occurrences are cancelled by separate events. */
  'task.removed': { taskId: string };
  /**
   * A task was paused: its waiting occurrences are disarmed and none of them triggers by
   * time (or is recorded missed) until `task.resumed`; a manual trigger still runs.
   */
  'task.paused': { taskId: string };
  /**
   * A paused task was resumed: its future occurrences are armed again, and the missed check
   * runs for the ones whose time passed meanwhile.
   */
  'task.resumed': { taskId: string };
  /**
   * Slots of the task's recurrence that came due and were not run, each named by its
   * instant (oldest first, at most {@link MAX_SLOTS_PER_ENTRY} per entry: a longer list is
   * split over several entries, none dropped), with why (`reason`) and the policy that
   * decided it (the task's `catchUp` or `overlap` policy). `caughtUpBy` names the one
   * catch-up run standing for them (policy `latest`).
   */
  'task.slotsSkipped': {
    taskId: string;
    slots: readonly IsoInstant[];
    reason: SlotSkipReason;
    policy: CatchUpPolicyName | OverlapPolicy;
    caughtUpBy?: string;
  };
  /** The calendar the planners use was set or replaced. */
  'calendar.configured': { calendar: CalendarConfig };
  /** An occurrence was planned and (unless paused) armed on the clock. */
  'occurrence.scheduled': { occurrence: Occurrence };
  /** The calendar rejected the occurrence's slot when it was scheduled; it will not run. */
  'occurrence.skipped': { occurrenceId: string; reason: 'slot-unavailable' };
  /** The occurrence fired: its handler starts now. Recorded at most once per occurrence. */
  'occurrence.triggered': {
    occurrenceId: string;
    attempt: number;
    idempotencyKey: string;
    manual?: boolean;
    /** How late the trigger was relative to `scheduledFor`, in ms (≥ 0). */
    lateByMs: number;
    /**
     * The scheduler instance that triggered it and runs its handler (absent in logs written
     * before instances were recorded): in a fleet, whose lease says whether the run is alive.
     */
    instanceId?: string;
  };
  /** The handler finished successfully (or the task had no handler). */
  'occurrence.completed': {
    occurrenceId: string;
    /** How long the handler ran, from its call; excludes `waitedForAbandonedMs`. */
    durationMs: number;
    /** How long the run waited for an abandoned run of its idempotency key first. */
    waitedForAbandonedMs?: number;
    /** How long the run waited for a place (`concurrency`, `maxConcurrent`) first. */
    waitedForPlaceMs?: number;
  };
  /** The handler threw, timed out, was aborted, or was interrupted by a crash. */
  'occurrence.failed': {
    occurrenceId: string;
    durationMs: number;
    error: ErrorRecord;
    interrupted?: boolean;
    /** How long the run waited for an abandoned run of its idempotency key first. */
    waitedForAbandonedMs?: number;
    /** How long the run waited for a place (`concurrency`, `maxConcurrent`) first. */
    waitedForPlaceMs?: number;
  };
  /** The occurrence's time passed beyond grace without a trigger. */
  'occurrence.missed': { occurrenceId: string; lateByMs: number };
  /** A retry occurrence was scheduled to follow this failed or missed one. */
  'occurrence.retried': { occurrenceId: string; retryId: string };
  /** The task's next recurrence was scheduled to follow this occurrence. */
  'occurrence.recurred': { occurrenceId: string; nextId: string };
  /** Recovery scheduled a replacement for this missed occurrence. */
  'occurrence.recovered': { occurrenceId: string; replacementId: string };
  /** The occurrence was cancelled before it triggered. */
  'occurrence.cancelled': { occurrenceId: string; reason: CancelReason };
  /** The scheduler began running (`start`). */
  'scheduler.started': { instanceId: string };
  /** The scheduler was paused: every timer disarmed. */
  'scheduler.paused': { instanceId: string };
  /** The scheduler stopped (`stop`). */
  'scheduler.stopped': { instanceId: string };
  /**
   * The store refused writes from `since` until `recoveredAt` (appended by the first write
   * that succeeded again): `failures` appends failed meanwhile, the last with `lastError`.
   * The scheduler triggered nothing by time in between; what came due is in the missed check
   * that followed.
   */
  'scheduler.degraded': {
    instanceId: string;
    since: IsoInstant;
    recoveredAt: IsoInstant;
    failures: number;
    lastError: ErrorRecord;
  };
  /** The wall clock jumped relative to the timers (sleep, suspension, clock change). */
  'scheduler.clock_jumped': { expectedAt: IsoInstant; observedAt: IsoInstant; driftMs: number };
  /**
   * Entries `firstSeq`..`lastSeq` (all older than `before`) left the live log for the sealed
   * archive segment `segment`, whose entry lines hash to `sha256`; `firstPrevHash` and
   * `lastHash` are the hashes the chain crosses the segment with. Settled occurrences scheduled
   * before `occurrencesBefore` whose every entry is in the segment left the read model
   * (`prunedOccurrences` of them). Recorded by the store's archive run only.
   */
  'log.archived': {
    firstSeq: number;
    lastSeq: number;
    count: number;
    firstPrevHash: string;
    lastHash: string;
    segment: string;
    sha256: string;
    before: IsoInstant;
    occurrencesBefore: IsoInstant;
    prunedOccurrences: number;
  };
};

export type PlanflowEventType = keyof PlanflowEventMap;

/** An event about to be appended. */
export type NewEvent<T extends PlanflowEventType = PlanflowEventType> = {
  [K in T]: Readonly<{ type: K; stream: string; data: Readonly<PlanflowEventMap[K]> }>;
}[T];

/** An event as stored in the log. `seq` starts at 1 and has no gaps. */
export type StoredEvent<T extends PlanflowEventType = PlanflowEventType> = {
  [K in T]: Readonly<{
    seq: number;
    /** nanoid, unique across logs. */
    id: string;
    type: K;
    /** Clock time of the append. */
    time: IsoInstant;
    /** `occurrence:<id>`, `task:<id>`, `calendar`, `scheduler` or `log`. */
    stream: string;
    data: Readonly<PlanflowEventMap[K]>;
    schemaVersion: number;
    /** Hash of the previous entry (`GENESIS_HASH` for seq 1). */
    prevHash: string;
    /** sha256 over this entry's fields and `prevHash` (see `hashChain.ts`). */
    hash: string;
  }>;
}[T];

/** Stream names. */
export const streams = {
  occurrence: (id: string) => `occurrence:${id}`,
  task: (id: string) => `task:${id}`,
  scheduler: 'scheduler',
  calendar: 'calendar',
  /** Facts about the log itself (archive runs). */
  log: 'log',
} as const;
