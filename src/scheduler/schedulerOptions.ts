import { nanoid } from 'nanoid';
import { ValidationError } from '../domain/errors.js';
import type { CalendarConfig } from '../domain/types.js';
import { parseCalendar } from '../domain/validateCalendar.js';
import type { EventStore } from '../log/EventStore.js';
import { memoryStore } from '../log/memoryStore.js';
import { DefaultCalendarPlanner } from '../planning/DefaultCalendarPlanner.js';
import { DEFAULT_GRACE_MS, DefaultRecoveryService } from '../planning/DefaultRecoveryService.js';
import { DefaultTaskScheduler } from '../planning/DefaultTaskScheduler.js';
import type { CalendarPlanner, RecoveryService, TaskScheduler } from '../planning/ports.js';
import type { Clock } from '../time/Clock.js';
import { systemClock } from '../time/systemClock.js';
import type { Handlers } from './handlers.js';

/** XState's `inspect` option: an observer of inspection events (e.g. `@statelyai/inspect`). */
export type InspectOption = NonNullable<
  Parameters<typeof import('xstate').createActor>[1]
>['inspect'];

/** Options of `createScheduler`. Every field is optional. */
export type SchedulerOptions = Readonly<{
  /** Where the log lives. @default memoryStore() */
  store?: EventStore;
  /**
   * The calendar (untrusted input, validated). When it differs from the one recorded in the
   * log, `calendar.configured` is appended on open. @default the log's, else always open in UTC
   */
  calendar?: unknown;
  /** Handlers by name, referred to by `task.handler`. */
  handlers?: Handlers;
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
  /** How long `stop()` waits for running handlers before aborting them. @default 10_000 */
  stopTimeoutMs?: number;
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
}>;

export type ResolvedSchedulerOptions = Readonly<{
  store: EventStore;
  /** Parsed once, here; the log records it on open when it differs from the recorded one. */
  calendar: CalendarConfig | undefined;
  handlers: Handlers;
  clock: Clock;
  graceMs: number;
  horizonMs: number;
  stopTimeoutMs: number;
  maxWaitMs: number;
  calendarPlanner: CalendarPlanner;
  taskScheduler: TaskScheduler;
  recoveryService: RecoveryService;
  instanceId: string;
  inspect: InspectOption | undefined;
  onError: ((error: unknown) => void) | undefined;
}>;

function duration(value: unknown, field: string, fallback: number, allowInfinity = false): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    value >= 0 &&
    (Number.isFinite(value) || (allowInfinity && value === Number.POSITIVE_INFINITY));
  if (!ok) {
    throw new ValidationError(
      'planflow:invalid-options',
      field,
      `SmartScheduler: options.${field} must be a number of milliseconds ≥ 0${allowInfinity ? ' or Infinity' : ''}, got ${String(value)}`,
    );
  }
  return value;
}

function fn<T>(value: T | undefined, field: string, method: string): void {
  if (value === undefined) return;
  const target = value as Record<string, unknown>;
  if (typeof value !== 'object' || value === null || typeof target[method] !== 'function') {
    throw new ValidationError(
      'planflow:invalid-options',
      field,
      `SmartScheduler: options.${field} must be an object with a ${method}() method`,
    );
  }
}

/** Fills defaults and checks ranges; returns a new frozen object, never touching `options`. */
export function resolveSchedulerOptions(options: SchedulerOptions = {}): ResolvedSchedulerOptions {
  fn(options.clock, 'clock', 'now');
  fn(options.store, 'store', 'append');
  fn(options.calendarPlanner, 'calendarPlanner', 'isSlotAvailable');
  fn(options.taskScheduler, 'taskScheduler', 'nextOccurrence');
  fn(options.recoveryService, 'recoveryService', 'recoverMissed');
  const handlers = options.handlers ?? {};
  for (const [name, handler] of Object.entries(handlers)) {
    if (typeof handler !== 'function') {
      throw new ValidationError(
        'planflow:invalid-options',
        `handlers.${name}`,
        `SmartScheduler: options.handlers.${name} must be a function (occurrence, context) => …`,
      );
    }
  }
  const graceMs = duration(options.graceMs, 'graceMs', DEFAULT_GRACE_MS);
  const calendarPlanner = options.calendarPlanner ?? new DefaultCalendarPlanner();
  const taskScheduler =
    options.taskScheduler ?? new DefaultTaskScheduler({ planner: calendarPlanner });
  return Object.freeze({
    store: options.store ?? memoryStore({ clock: options.clock ?? systemClock }),
    // Validated here, not when the log opens, so a bad calendar throws from createScheduler.
    calendar: options.calendar === undefined ? undefined : parseCalendar(options.calendar),
    handlers: Object.freeze({ ...handlers }),
    clock: options.clock ?? systemClock,
    graceMs,
    horizonMs: duration(options.horizonMs, 'horizonMs', 60_000, true),
    stopTimeoutMs: duration(options.stopTimeoutMs, 'stopTimeoutMs', 10_000),
    maxWaitMs: duration(options.maxWaitMs, 'maxWaitMs', 60_000),
    calendarPlanner,
    taskScheduler,
    recoveryService:
      options.recoveryService ??
      new DefaultRecoveryService({
        scheduler: taskScheduler,
        graceMs,
      }),
    instanceId: (options.idGenerator ?? nanoid)(),
    inspect: options.inspect,
    onError: options.onError,
  });
}
