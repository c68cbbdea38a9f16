import { nanoid } from 'nanoid';
import type { CalendarConfig, CalendarInput } from '../domain/types.js';
import { parseCalendar } from '../domain/validateCalendar.js';
import {
  invalidOption,
  type OptionKeys,
  readFunctionOption,
  readOptions,
  readPortOption,
} from '../domain/validateOptions.js';
import type { EventStore } from '../log/EventStore.js';
import { memoryStore } from '../log/memoryStore.js';
import { DefaultCalendarPlanner } from '../planning/DefaultCalendarPlanner.js';
import { DEFAULT_GRACE_MS, DefaultRecoveryService } from '../planning/DefaultRecoveryService.js';
import { DefaultTaskScheduler } from '../planning/DefaultTaskScheduler.js';
import type { CalendarPlanner, RecoveryService, TaskScheduler } from '../planning/ports.js';
import type { Clock } from '../time/Clock.js';
import { systemClock } from '../time/systemClock.js';
import type { Handler, Handlers } from './handlers.js';
import { DEFAULT_LEASE_TTL_MS } from './SchedulerLease.js';
import { WRITE_RETRY_INITIAL_MS, WRITE_RETRY_MAX_MS } from './WriteFaults.js';

/** XState's `inspect` option: an observer of inspection events (e.g. `@statelyai/inspect`). */
export type InspectOption = NonNullable<
  Parameters<typeof import('xstate').createActor>[1]
>['inspect'];

/**
 * Options of `createScheduler`. Every field is optional; an unknown key is refused. `H` is
 * the handler map, so a task's `handler` can be checked against its names (`TaskInputFor<H>`).
 */
export type SchedulerOptions<H extends Handlers = Handlers> = Readonly<{
  /** Where the log lives. @default memoryStore() */
  store?: EventStore;
  /**
   * The calendar (untrusted input, validated). When it differs from the one recorded in the
   * log, `calendar.configured` is appended on open. @default the log's, else always open in UTC
   */
  calendar?: CalendarInput;
  /** Handlers by name, referred to by `task.handler`. */
  handlers?: H;
  /** Time source and timers. Tests pass a `TestClock`. @default systemClock */
  clock?: Clock;
  /** An occurrence up to this late still triggers; later it is missed and recovered. @default 30_000 */
  graceMs?: number;
  /**
   * How long before its due time an occurrence gets a live actor. Farther occurrences are
   * only log entries plus one timer-queue entry, which keeps 100 000 pending occurrences
   * cheap. `Infinity` makes every pending occurrence a live actor. @default 60_000
   */
  horizonMs?: number;
  /**
   * How far ahead memory holds the pending occurrences (the live window). Farther ones stay
   * in the store and are read in as the window moves on (every half window), when a command
   * is about one of them, or when a task's series is asked about: a restart reads what is
   * due within the window, not every pending occurrence. Their calendar places are counted
   * from the store meanwhile. At least twice `horizonMs`; `Infinity` holds every pending
   * occurrence in memory. Applies to stores that offer it (memory, SQLite); PostgreSQL,
   * whose instances fold each other's entries, always loads the whole live set.
   * @default 3_600_000, or twice `horizonMs` when that is more
   */
  liveWindowMs?: number;
  /** How long `stop()` waits for running handlers before aborting them. @default 10_000 */
  stopTimeoutMs?: number;
  /**
   * At most this many handlers execute at once (an integer ≥ 1, or `Infinity`). A run beyond
   * it is triggered as usual — its `occurrence.triggered` is recorded, so at-most-once is
   * unchanged — and its handler is called once a place frees up, in the order the runs came;
   * the outcome records the wait as `waitedForPlaceMs`. A task's `maxConcurrent` limits its
   * own runs the same way. @default Infinity
   */
  concurrency?: number;
  /** Longest single real timer wait (see TimerQueue). @default 60_000 */
  maxWaitMs?: number;
  calendarPlanner?: CalendarPlanner;
  taskScheduler?: TaskScheduler;
  recoveryService?: RecoveryService;
  /** Makes the id this instance records in `scheduler.*` events. @default nanoid */
  idGenerator?: () => string;
  /** Passed to every actor's `createActor` options (the Stately inspector's `inspect`). */
  inspect?: InspectOption;
  /**
   * Receives errors no caller is waiting for (a store failing during a timer-driven trigger).
   * They are also published on `scheduler.errors`. A throw from `onError` is dropped.
   */
  onError?: (error: unknown) => void;
  /**
   * How a store that refused a write is retried while the scheduler is degraded: the first
   * probe `initialMs` after the failure, each next one twice as late, at most `maxMs`.
   * @default { initialMs: 100, maxMs: 30_000 }
   */
  writeRetry?: WriteRetryOptions;
  /**
   * How long this scheduler's lease on its log lasts unless renewed; it is renewed every third
   * of it. A second scheduler on the same store is refused at `start()` while the lease is
   * live, and may take it over once it lapsed (at once when its process is gone from this
   * host). At least 100 ms. @default 15_000
   */
  leaseTtlMs?: number;
  /**
   * This scheduler instance's id, as its `scheduler.*` entries, its triggers and its lease
   * name it: in a fleet, give each replica a stable, readable one (a pod or host name) so the
   * log says which replica ran what. Non-empty, at most 200 characters; unique among the
   * instances that run at once on one log. @default a new id from `idGenerator`
   */
  instanceId?: string;
}>;

/** See {@link SchedulerOptions.writeRetry}. */
export type WriteRetryOptions = Readonly<{ initialMs?: number; maxMs?: number }>;

/** The backoff a degraded scheduler probes its store with. */
export type WriteRetry = Readonly<{ initialMs: number; maxMs: number }>;

export type ResolvedSchedulerOptions = Readonly<{
  store: EventStore;
  /** Parsed once, here; the log records it on open when it differs from the recorded one. */
  calendar: CalendarConfig | undefined;
  handlers: Handlers;
  /** Whether `handlers` was given: only then is a task's handler name checked at definition. */
  hasHandlerMap: boolean;
  clock: Clock;
  graceMs: number;
  horizonMs: number;
  liveWindowMs: number;
  stopTimeoutMs: number;
  concurrency: number;
  maxWaitMs: number;
  calendarPlanner: CalendarPlanner;
  taskScheduler: TaskScheduler;
  recoveryService: RecoveryService;
  instanceId: string;
  inspect: InspectOption | undefined;
  onError: ((error: unknown) => void) | undefined;
  writeRetry: WriteRetry;
  leaseTtlMs: number;
}>;

const COMPONENT = 'SmartScheduler';

/** Every option, listed once: an option added to the type and not here does not compile. */
const KEYS: OptionKeys<SchedulerOptions> = {
  store: true,
  calendar: true,
  handlers: true,
  clock: true,
  graceMs: true,
  horizonMs: true,
  liveWindowMs: true,
  stopTimeoutMs: true,
  concurrency: true,
  maxWaitMs: true,
  calendarPlanner: true,
  taskScheduler: true,
  recoveryService: true,
  idGenerator: true,
  inspect: true,
  onError: true,
  writeRetry: true,
  leaseTtlMs: true,
  instanceId: true,
};

const WRITE_RETRY_KEYS: OptionKeys<WriteRetryOptions> = { initialMs: true, maxMs: true };

/** `writeRetry`: both waits positive and finite, the cap no shorter than the first wait. */
function readWriteRetry(value: unknown): WriteRetry {
  const record = readOptions(
    COMPONENT,
    value,
    WRITE_RETRY_KEYS,
    '{ initialMs: 100, maxMs: 30000 }',
    'options.writeRetry',
  );
  const initialMs = duration(record.initialMs, 'writeRetry.initialMs', WRITE_RETRY_INITIAL_MS);
  const maxMs = duration(record.maxMs, 'writeRetry.maxMs', Math.max(WRITE_RETRY_MAX_MS, initialMs));
  if (initialMs < 1 || maxMs < initialMs) {
    throw invalidOption(
      COMPONENT,
      'writeRetry',
      'waits of at least 1 ms with maxMs ≥ initialMs',
      value,
    );
  }
  return Object.freeze({ initialMs, maxMs });
}

function duration(value: unknown, field: string, fallback: number, allowInfinity = false): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    value >= 0 &&
    (Number.isFinite(value) || (allowInfinity && value === Number.POSITIVE_INFINITY));
  if (!ok) {
    const expected = `a number of milliseconds ≥ 0${allowInfinity ? ' or Infinity' : ''}`;
    throw invalidOption(COMPONENT, field, expected, value, `Omit it for the default ${fallback}.`);
  }
  return value;
}

/** The default live window: an hour. */
const DEFAULT_LIVE_WINDOW_MS = 3_600_000;

/** `liveWindowMs`: at least twice the horizon, so what it takes in is armed before its horizon. */
function readLiveWindow(value: unknown, horizonMs: number): number {
  const fallback = Math.max(DEFAULT_LIVE_WINDOW_MS, 2 * horizonMs);
  const windowMs = duration(value, 'liveWindowMs', fallback, true);
  if (windowMs >= 2 * horizonMs) return windowMs;
  throw invalidOption(
    COMPONENT,
    'liveWindowMs',
    `a number of milliseconds ≥ 2 × horizonMs (${2 * horizonMs}) or Infinity`,
    value,
    `Omit it for the default ${fallback}, or lower horizonMs.`,
  );
}

/** `leaseTtlMs`: a finite number of milliseconds, at least 100. */
function readLeaseTtl(value: unknown): number {
  if (value === undefined) return DEFAULT_LEASE_TTL_MS;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 100) return value;
  throw invalidOption(
    COMPONENT,
    'leaseTtlMs',
    'a finite number of milliseconds ≥ 100',
    value,
    `Omit it for the default ${DEFAULT_LEASE_TTL_MS}.`,
  );
}

/** `concurrency`: a whole number of places ≥ 1, or `Infinity` for no limit. */
function readConcurrency(value: unknown): number {
  if (value === undefined) return Number.POSITIVE_INFINITY;
  if (
    value === Number.POSITIVE_INFINITY ||
    (Number.isSafeInteger(value) && (value as number) >= 1)
  ) {
    return value as number;
  }
  throw invalidOption(
    COMPONENT,
    'concurrency',
    'a whole number ≥ 1 (handlers executing at once), or Infinity',
    value,
    'Omit it for no limit.',
  );
}

function readHandlers(value: unknown): Handlers {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidOption(COMPONENT, 'handlers', 'an object of named handler functions', value);
  }
  const handlers: Record<string, Handler> = {};
  for (const [name, handler] of Object.entries(value)) {
    if (typeof handler !== 'function') {
      throw invalidOption(
        COMPONENT,
        `handlers.${name}`,
        'a function (occurrence, context) => …',
        handler,
      );
    }
    handlers[name] = handler as Handler;
  }
  return Object.freeze(handlers);
}

function readInstanceId(record: Readonly<Record<string, unknown>>): string {
  const given = record.instanceId;
  if (given !== undefined) {
    if (typeof given === 'string' && given.trim() !== '' && given.length <= 200) return given;
    throw invalidOption(
      COMPONENT,
      'instanceId',
      'a non-empty string of at most 200 characters',
      given,
      'Omit it for a new id per scheduler.',
    );
  }
  const generate = readFunctionOption<() => unknown>(COMPONENT, record, 'idGenerator') ?? nanoid;
  const id = generate();
  if (typeof id !== 'string' || id === '' || id.length > 200) {
    throw invalidOption(
      COMPONENT,
      'idGenerator',
      'a function returning a non-empty string of at most 200 characters',
      id,
    );
  }
  return id;
}

/**
 * Fills defaults and checks types, ranges and keys; returns a new frozen object, never
 * touching `options`. Anything but a plain object (`null`, an array) and any unknown key
 * (`graceMS`: did you mean `graceMs`?) is refused.
 * @throws ValidationError (`planflow:invalid-options`, or the calendar's own code).
 */
export function resolveSchedulerOptions(options: unknown = {}): ResolvedSchedulerOptions {
  const record = readOptions(COMPONENT, options, KEYS, '{ store, calendar, handlers }');
  const clock = readPortOption<Clock>(COMPONENT, record, 'clock', ['now']) ?? systemClock;
  const store = readPortOption<EventStore>(COMPONENT, record, 'store', ['append', 'read', 'head']);
  const calendarPlanner =
    readPortOption<CalendarPlanner>(COMPONENT, record, 'calendarPlanner', ['isSlotAvailable']) ??
    new DefaultCalendarPlanner();
  const givenTaskScheduler = readPortOption<TaskScheduler>(COMPONENT, record, 'taskScheduler', [
    'nextOccurrence',
  ]);
  const givenRecovery = readPortOption<RecoveryService>(COMPONENT, record, 'recoveryService', [
    'recoverMissed',
  ]);
  const handlers = readHandlers(record.handlers);
  const graceMs = duration(record.graceMs, 'graceMs', DEFAULT_GRACE_MS);
  const taskScheduler =
    givenTaskScheduler ?? new DefaultTaskScheduler({ planner: calendarPlanner });
  const inspect = record.inspect;
  if (
    inspect !== undefined &&
    typeof inspect !== 'function' &&
    (typeof inspect !== 'object' || inspect === null)
  ) {
    throw invalidOption(
      COMPONENT,
      'inspect',
      'an inspection observer (a function or { next })',
      inspect,
    );
  }
  const horizonMs = duration(record.horizonMs, 'horizonMs', 60_000, true);
  return Object.freeze({
    store: store ?? memoryStore({ clock }),
    // Validated here, not when the log opens, so a bad calendar throws from createScheduler.
    calendar: record.calendar === undefined ? undefined : parseCalendar(record.calendar),
    handlers,
    hasHandlerMap: record.handlers !== undefined,
    clock,
    graceMs,
    horizonMs,
    liveWindowMs: readLiveWindow(record.liveWindowMs, horizonMs),
    stopTimeoutMs: duration(record.stopTimeoutMs, 'stopTimeoutMs', 10_000),
    concurrency: readConcurrency(record.concurrency),
    maxWaitMs: duration(record.maxWaitMs, 'maxWaitMs', 60_000),
    calendarPlanner,
    taskScheduler,
    recoveryService:
      givenRecovery ?? new DefaultRecoveryService({ scheduler: taskScheduler, graceMs }),
    instanceId: readInstanceId(record),
    inspect: inspect as InspectOption | undefined,
    onError: readFunctionOption<(error: unknown) => void>(COMPONENT, record, 'onError'),
    writeRetry: readWriteRetry(record.writeRetry),
    leaseTtlMs: readLeaseTtl(record.leaseTtlMs),
  });
}
