import { afterEach, expect } from 'vitest';
import { makeOccurrence, type OccurrenceSpec } from '../../src/domain/makeOccurrence.js';
import type { Occurrence } from '../../src/domain/types.js';
import type { EventStore } from '../../src/log/EventStore.js';
import type { StoredEvent } from '../../src/log/events.js';
import { memoryStore } from '../../src/log/memoryStore.js';
import { createScheduler } from '../../src/scheduler/createScheduler.js';
import type { HandlerContext, Handlers } from '../../src/scheduler/handlers.js';
import type { SmartScheduler } from '../../src/scheduler/SmartScheduler.js';
import type { SchedulerOptions } from '../../src/scheduler/schedulerOptions.js';
import { TestClock } from '../../src/testing/TestClock.js';
import { readAll } from './logQueries.js';

/** 2026-03-02T08:00:00Z, a Monday: every scheduler test starts here. */
export const T0 = Date.parse('2026-03-02T08:00:00.000Z');
export const SECOND = 1_000;
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Monday to Friday, 08:00–18:00 UTC, at most 3 a day, one occurrence per instant. */
export const OFFICE_HOURS = {
  timeZone: 'UTC',
  workingHours: Object.fromEntries(
    ['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, { start: '08:00', end: '18:00' }]),
  ),
  maxPerDay: 3,
};

/** ISO instant `ms` after {@link T0}. */
export const at = (ms: number): string => new Date(T0 + ms).toISOString();

/** One handler call as a test sees it. */
export type Call = Readonly<{
  occurrenceId: string;
  cause: Occurrence['cause'];
  attempt: number;
  idempotencyKey: string;
  /** Clock time when the handler started. */
  atMs: number;
}>;

/** A scheduler on a manual clock and a store, with helpers to read what it recorded. */
export type Harness = Readonly<{
  clock: TestClock;
  store: EventStore;
  scheduler: SmartScheduler;
  /** Calls of the handlers created by {@link recordingHandler}, in order. */
  calls: Call[];
  /** Errors the scheduler reported with no caller waiting (expected empty). */
  errors: unknown[];
  /** Every occurrence this scheduler recorded, in the order first recorded (kept from its events). */
  occurrences: Occurrence[];
  /** Every entry the store holds now. */
  events(): Promise<StoredEvent[]>;
}>;

export type HarnessOptions = Omit<SchedulerOptions, 'clock' | 'store'> & {
  clock?: TestClock;
  store?: EventStore;
};

/** A handler that records its calls in `calls` and then runs `body` (if any). */
export function recordingHandler(
  calls: Call[],
  clock: TestClock,
  body?: (occurrence: Occurrence, context: HandlerContext) => unknown,
) {
  return (occurrence: Occurrence, context: HandlerContext): unknown => {
    calls.push({
      occurrenceId: occurrence.id,
      cause: occurrence.cause,
      attempt: context.attempt,
      idempotencyKey: context.idempotencyKey,
      atMs: clock.now(),
    });
    return body?.(occurrence, context);
  };
}

/**
 * A scheduler at {@link T0} on a {@link TestClock} and (unless given) a fresh memory store.
 * A handler named `record` is always registered: it records its calls and succeeds.
 */
export function harness(options: HarnessOptions = {}): Harness {
  const clock = options.clock ?? new TestClock(T0);
  const store = options.store ?? memoryStore({ clock });
  const calls: Call[] = [];
  const errors: unknown[] = [];
  const scheduler = createScheduler<Handlers>({
    // A lease renewed every 20 min of test time rather than every 5 s: tests advance days,
    // and nothing competes for the log unless a test says so (its own leaseTtlMs).
    leaseTtlMs: HOUR,
    ...options,
    clock,
    store,
    handlers: { record: recordingHandler(calls, clock), ...options.handlers },
    onError: (error) => {
      errors.push(error);
      options.onError?.(error);
    },
  });
  const occurrences: Occurrence[] = [];
  const seen = new Set<string>();
  scheduler.events.subscribe((event) => {
    if (event.type !== 'occurrence.scheduled' || seen.has(event.data.occurrence.id)) return;
    seen.add(event.data.occurrence.id);
    occurrences.push(event.data.occurrence);
  });
  return { clock, store, scheduler, calls, errors, occurrences, events: () => readAll(store) };
}

/** What {@link useHarnesses} gives a test file. */
export type Harnesses = Readonly<{
  /** A {@link harness} whose scheduler is stopped after the test. */
  setUp(options?: HarnessOptions): Harness;
  /** Stops a scheduler made without {@link harness} after the test; returns it. */
  track(scheduler: SmartScheduler): SmartScheduler;
}>;

/**
 * Registers an `afterEach` that stops every scheduler the test set up (a test that fails
 * half-way leaves no timer behind), and returns the functions that set them up. Call it
 * once per file, at the top level; `afterEach` hooks registered before it run after it.
 */
export function useHarnesses(): Harnesses {
  const open: SmartScheduler[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await stopQuietly(s);
  });
  const track = (scheduler: SmartScheduler): SmartScheduler => {
    open.push(scheduler);
    return scheduler;
  };
  const setUp = (options: HarnessOptions = {}): Harness => {
    const h = harness(options);
    track(h.scheduler);
    return h;
  };
  return { setUp, track };
}

/** A one-shot task input that fires once at `T0 + inMs` through the `record` handler. */
export function oneShot(id: string, inMs: number, extra: Record<string, unknown> = {}) {
  return { id, title: id, startAt: at(inMs), handler: 'record', ...extra };
}

/** A task input with no schedule of its own: it runs only when an occurrence is scheduled for it. */
export function manualTask(id: string, extra: Record<string, unknown> = {}) {
  return { id, title: id, handler: 'record', ...extra };
}

/** An occurrence of `taskId` at `T0 + inMs` (cause `initial` unless the spec says otherwise). */
export function occurrenceAt(
  taskId: string,
  inMs: number,
  spec: Partial<OccurrenceSpec> = {},
): Occurrence {
  return makeOccurrence({ taskId, cause: 'initial', scheduledFor: at(inMs), ...spec });
}

/**
 * Expects the one timer a started scheduler keeps on its clock to be its lease's heartbeat
 * (due a third of the TTL after the last renewal): no occurrence timer is left. A store that
 * keeps no leases (a wrapper that leaves them out) gets the scheduler's in-process lease,
 * whose renewal time the store cannot tell: its heartbeat is then due within a third of the
 * TTL.
 */
export async function expectOnlyHeartbeat(h: Harness, ttlMs = HOUR): Promise<void> {
  expect(h.clock.pending).toBe(1);
  const beat = Math.max(1, Math.floor(ttlMs / 3));
  if (h.store.leases === undefined) {
    expect(h.clock.nextDueAt).toBeGreaterThan(h.clock.now());
    expect(h.clock.nextDueAt).toBeLessThanOrEqual(h.clock.now() + beat);
    return;
  }
  const [lease, ...others] = await h.store.leases.list();
  expect(others).toEqual([]);
  expect(h.clock.nextDueAt).toBe(lease!.renewedAtMs + beat);
}

/** Stops a scheduler and swallows a second stop, for `afterEach`. */
export async function stopQuietly(scheduler: SmartScheduler): Promise<void> {
  if (scheduler.status !== 'stopped') await scheduler.stop();
}

/** A promise a test settles by hand: a handler that is still running until the test says so. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
