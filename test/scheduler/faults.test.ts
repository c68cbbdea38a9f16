import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_ERROR_NAME_LENGTH,
  TRUNCATION_MARKER,
} from '../../src/domain/errorRecord.js';
import type { EventStore } from '../../src/log/EventStore.js';
import { memoryStore } from '../../src/log/memoryStore.js';
import type { HandlerContext } from '../../src/scheduler/handlers.js';
import { TestClock } from '../../src/testing/TestClock.js';
import {
  at,
  type Harness,
  HOUR,
  MINUTE,
  manualTask,
  oneShot,
  SECOND,
  T0,
  useHarnesses,
} from '../helpers/harness.js';
import { hostileValues, TEN_MB } from '../helpers/hostileValues.js';
import { ofType } from '../helpers/logQueries.js';

// Issue "Hostile input and faults", findings 2 and 7: nothing a handler (or a user's
// observer) does escapes the scheduler, and a handler that outlives its timeout never runs
// at the same time as its own retry.

const { setUp } = useHarnesses();
const TEN_MINUTES = 10 * MINUTE;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

/** A recurring task (every hour from `T0 + inMs`) run by `handler`. */
function hourly(id: string, inMs: number, handler: string) {
  return { ...manualTask(id, { handler }), recurrence: { everyMs: HOUR, anchor: at(inMs) } };
}

/**
 * Defines a one-shot `slow` task due in a minute (100 ms timeout, `maxRetries` retries with
 * no delay), starts, and lets ten seconds of retries play out.
 */
async function runSlowTask(h: Harness, maxRetries: number): Promise<void> {
  await h.scheduler.defineTask(
    oneShot('slow', MINUTE, { handler: 'slow', timeoutMs: 100, retry: { maxRetries, delayMs: 0 } }),
  );
  await h.scheduler.start();
  await h.clock.advanceAsync(MINUTE + 10 * SECOND);
  await h.clock.settle();
}

describe('SmartScheduler (finding 2: a handler can crash the host)', () => {
  it('records every hostile thrown value as a bounded failure, continues the series, and lets no rejection escape', async () => {
    const handlers: Record<string, () => unknown> = {};
    for (const [i, [, make]] of hostileValues.entries()) {
      // Half of them thrown synchronously, half as a rejection.
      handlers[`h${i}`] =
        i % 2 === 0
          ? () => {
              throw make();
            }
          : () => Promise.reject(make());
    }
    const h = setUp({ handlers });
    for (const i of hostileValues.keys()) {
      await h.scheduler.defineTask(hourly(`t${i}`, (i + 1) * MINUTE, `h${i}`));
    }
    await h.scheduler.start();

    await h.clock.advanceAsync(hostileValues.length * MINUTE + SECOND);
    await h.clock.settle();

    expect(unhandled).toEqual([]);
    expect(h.errors).toEqual([]);
    for (const [i, [label]] of hostileValues.entries()) {
      const [first, next] = (await h.scheduler.listExecutions({ taskId: `t${i}` })).items;
      expect({ label, state: first?.state, outcome: first?.outcome }).toEqual({
        label,
        state: 'recurred',
        outcome: 'failed',
      });
      expect(first?.error?.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_LENGTH);
      expect(first?.error?.name.length).toBeLessThanOrEqual(MAX_ERROR_NAME_LENGTH);
      // The series goes on: the next recurrence is waiting for its time.
      expect({ label, state: next?.state, at: next?.scheduledFor }).toEqual({
        label,
        state: 'scheduled',
        at: at((i + 1) * MINUTE + HOUR),
      });
    }
    // Every failure in the log is small, whatever was thrown.
    for (const failed of ofType(await h.events(), 'occurrence.failed')) {
      expect(JSON.stringify(failed.data).length).toBeLessThan(4 * MAX_ERROR_MESSAGE_LENGTH);
    }
    expect(h.scheduler.status).toBe('running');
  });

  it('cuts a 10 MB error message to the bound in the log, marked truncated', async () => {
    const h = setUp({
      handlers: {
        huge: () => {
          throw new RangeError('z'.repeat(TEN_MB));
        },
      },
    });
    await h.scheduler.defineTask(oneShot('huge', MINUTE, { handler: 'huge' }));
    await h.scheduler.start();

    await h.clock.advanceAsync(MINUTE);

    const [failed] = ofType(await h.events(), 'occurrence.failed');
    expect(failed?.data.error).toMatchObject({ name: 'RangeError', truncated: true });
    expect(failed?.data.error.message).toHaveLength(MAX_ERROR_MESSAGE_LENGTH);
    expect(failed?.data.error.message.endsWith(TRUNCATION_MARKER)).toBe(true);
  });
});

/** An error's code and its cause's message. */
const codeAndCause = (error: unknown) => {
  const e = error as { code?: string; cause?: { message?: string } };
  return [e.code, e.cause?.message];
};

/** A memory store whose appends fail while `failing.on` is set. */
function flakyStore(clock: TestClock): { store: EventStore; failing: { on: boolean } } {
  const inner = memoryStore({ clock });
  const failing = { on: false };
  const store: EventStore = Object.create(inner);
  store.append = (events, options) =>
    failing.on ? Promise.reject(new Error('disk on fire')) : inner.append(events, options);
  return { store, failing };
}

describe('SmartScheduler with user callbacks that throw', () => {
  it('keeps scheduling and still publishes on errors when onError throws', async () => {
    const clock = new TestClock(T0);
    const { store, failing } = flakyStore(clock);
    const h = setUp({
      clock,
      store,
      onError: () => {
        throw new Error('onError bug');
      },
    });
    const published: unknown[] = [];
    h.scheduler.errors.subscribe((error) => published.push(error));
    await h.scheduler.defineTask(oneShot('lost', MINUTE));
    await h.scheduler.defineTask(oneShot('later', 2 * MINUTE));
    await h.scheduler.start();

    failing.on = true;
    await h.clock.advanceAsync(MINUTE);
    failing.on = false;
    await h.clock.advanceAsync(MINUTE);
    await h.clock.settle();

    // The store's failure is reported once, as the degraded period it began.
    expect(published.map(codeAndCause)).toEqual([['planflow:degraded', 'disk on fire']]);
    expect(unhandled).toEqual([]);
    expect((await h.scheduler.listExecutions({ taskId: 'later' })).items[0]).toMatchObject({
      state: 'done',
      outcome: 'completed',
    });
  });

  it('keeps scheduling when an events subscriber throws, and reports its error', async () => {
    const h = setUp();
    h.scheduler.events.subscribe(() => {
      throw new Error('events observer bug');
    });
    h.scheduler.events.subscribe({
      next() {
        throw new Error('events observer object bug');
      },
    });
    const seen: string[] = [];
    h.scheduler.events.subscribe((event) => seen.push(event.type));
    await h.scheduler.defineTask(hourly('job', HOUR, 'record'));
    await h.scheduler.start();

    await h.clock.advanceAsync(3 * HOUR);
    await h.clock.settle();

    expect(h.calls).toHaveLength(3);
    expect(seen.filter((t) => t === 'occurrence.completed')).toHaveLength(3);
    const messages = new Set(h.errors.map((e) => (e as Error).message));
    expect(messages).toEqual(new Set(['events observer bug', 'events observer object bug']));
    expect(unhandled).toEqual([]);
  });

  it('hands a throw of an errors subscriber to onError, and other subscribers still hear', async () => {
    const clock = new TestClock(T0);
    const { store, failing } = flakyStore(clock);
    const h = setUp({ clock, store });
    h.scheduler.errors.subscribe(() => {
      throw new Error('errors observer bug');
    });
    const published: unknown[] = [];
    h.scheduler.errors.subscribe((error) => published.push(error));
    await h.scheduler.defineTask(oneShot('lost', MINUTE));
    await h.scheduler.start();

    failing.on = true;
    await h.clock.advanceAsync(MINUTE);
    failing.on = false;
    await h.clock.settle();

    expect(published.map(codeAndCause)).toEqual([['planflow:degraded', 'disk on fire']]);
    expect(h.errors.map(codeAndCause)).toEqual([
      ['planflow:degraded', 'disk on fire'],
      [undefined, undefined],
    ]);
    expect((h.errors[1] as Error).message).toBe('errors observer bug');
    expect(unhandled).toEqual([]);
  });

  it('keeps scheduling when the inspector throws, and reports its error', async () => {
    const h = setUp({
      inspect: () => {
        throw new Error('inspector bug');
      },
    });
    await h.scheduler.defineTask(hourly('job', HOUR, 'record'));
    await h.scheduler.start();

    await h.clock.advanceAsync(2 * HOUR);
    await h.clock.settle();

    expect(h.calls).toHaveLength(2);
    expect((await h.scheduler.listExecutions({ state: 'recurred' })).items).toHaveLength(2);
    expect(h.errors.length).toBeGreaterThan(0);
    expect(new Set(h.errors.map((e) => (e as Error).message))).toEqual(new Set(['inspector bug']));
    expect(unhandled).toEqual([]);
  });
});

/** One execution of a handler: when it was called and when its own promise settled. */
type Execution = { key: string; attempt: number; startedAt: number; endedAt?: number };

/**
 * A handler that ignores its signal and takes `takesMs(attempt)` on the clock, noting each
 * execution's start and end.
 */
function ignoresSignal(
  clock: TestClock,
  executions: Execution[],
  takesMs: (attempt: number) => number,
) {
  return (_occurrence: unknown, { attempt, idempotencyKey }: HandlerContext) => {
    const execution: Execution = { key: idempotencyKey, attempt, startedAt: clock.now() };
    executions.push(execution);
    return new Promise<void>((resolve) => {
      clock.setTimeout(() => {
        execution.endedAt = clock.now();
        resolve();
      }, takesMs(attempt));
    });
  };
}

/** Asserts that no two executions of one key overlapped in time. */
function expectNoOverlap(executions: readonly Execution[]): void {
  const byKey = new Map<string, Execution[]>();
  for (const e of executions) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e]);
  for (const runs of byKey.values()) {
    const sorted = [...runs].sort((a, b) => a.startedAt - b.startedAt);
    for (let i = 1; i < sorted.length; i++) {
      expect(sorted[i - 1]!.endedAt).toBeDefined();
      expect(sorted[i]!.startedAt).toBeGreaterThanOrEqual(sorted[i - 1]!.endedAt!);
    }
  }
}

describe('SmartScheduler (finding 7: a handler that ignores its timeout overlaps its retry)', () => {
  it('starts the retry only once the abandoned run settled, and says how long it waited', async () => {
    const clock = new TestClock(T0);
    const executions: Execution[] = [];
    const h = setUp({
      clock,
      handlers: {
        slow: ignoresSignal(clock, executions, (attempt) => (attempt === 0 ? SECOND : 0)),
      },
    });
    await runSlowTask(h, 3);

    expectNoOverlap(executions);
    expect(executions.map((e) => [e.attempt, e.startedAt - T0, (e.endedAt ?? 0) - T0])).toEqual([
      [0, MINUTE, MINUTE + SECOND],
      [1, MINUTE + SECOND, MINUTE + SECOND],
    ]);
    const [first, retry] = (await h.scheduler.listExecutions()).items;
    expect(first).toMatchObject({
      state: 'retrying',
      error: { name: 'TimeoutError', timedOut: true },
    });
    expect(retry).toMatchObject({ attempt: 1, state: 'done', outcome: 'completed' });
    const [failed] = ofType(await h.events(), 'occurrence.failed');
    expect(failed?.data).toMatchObject({ durationMs: 100 });
    expect(failed?.data.waitedForAbandonedMs).toBeUndefined();
    const [completed] = ofType(await h.events(), 'occurrence.completed');
    // The retry was triggered at its time; its handler waited 900 ms, then took 0 ms.
    expect(completed?.data).toEqual({
      occurrenceId: retry!.occurrenceId,
      durationMs: 0,
      waitedForAbandonedMs: SECOND - 100,
    });
    expect(unhandled).toEqual([]);
  });

  it('never runs one key twice at once when every attempt outlives its timeout', async () => {
    const clock = new TestClock(T0);
    const executions: Execution[] = [];
    const h = setUp({ clock, handlers: { slow: ignoresSignal(clock, executions, () => SECOND) } });
    await runSlowTask(h, 2);

    expectNoOverlap(executions);
    expect(executions.map((e) => e.startedAt - T0)).toEqual([
      MINUTE,
      MINUTE + SECOND,
      MINUTE + 2 * SECOND,
    ]);
    expect(new Set(executions.map((e) => e.key)).size).toBe(1);
    expect(
      (await h.scheduler.listExecutions()).items.map((e) => [e.attempt, e.state, e.error?.name]),
    ).toEqual([
      [0, 'retrying', 'TimeoutError'],
      [1, 'retrying', 'TimeoutError'],
      [2, 'failed', 'TimeoutError'],
    ]);
  });

  it('aborts a retry still waiting for its abandoned run at stop, without calling the handler', async () => {
    const clock = new TestClock(T0);
    const executions: Execution[] = [];
    const h = setUp({
      clock,
      stopTimeoutMs: SECOND,
      handlers: { slow: ignoresSignal(clock, executions, () => TEN_MINUTES) },
    });
    await h.scheduler.defineTask(
      oneShot('slow', MINUTE, {
        handler: 'slow',
        timeoutMs: 100,
        retry: { maxRetries: 1, delayMs: 0 },
      }),
    );
    await h.scheduler.start();
    await h.clock.advanceAsync(MINUTE + SECOND);
    const [, retry] = (await h.scheduler.listExecutions()).items;
    expect(retry).toMatchObject({ attempt: 1, state: 'triggered' });

    const stopping = h.scheduler.stop();
    await h.clock.advanceAsync(SECOND);
    await stopping;

    expect(executions).toHaveLength(1);
    expect(await h.scheduler.getExecution(retry!.occurrenceId)).toMatchObject({
      state: 'failed',
      error: { name: 'AbortError' },
    });
    const failures = ofType(await h.events(), 'occurrence.failed');
    expect(failures[1]?.data).toMatchObject({
      durationMs: 0,
      waitedForAbandonedMs: 2 * SECOND - 100,
    });
    expect(unhandled).toEqual([]);
  });

  it('holds a unit of work whose abandoned run never settles, without growing per retry', async () => {
    const calls: number[] = [];
    const h = setUp({
      handlers: {
        hang: () => {
          calls.push(h.clock.now());
          return new Promise(() => {});
        },
      },
    });
    await h.scheduler.defineTask({
      ...hourly('hang', MINUTE, 'hang'),
      timeoutMs: 100,
      retry: { maxRetries: 5, delayMs: 0 },
    });
    await h.scheduler.start();

    await h.clock.advanceAsync(5 * HOUR);

    // One execution; its retry waits (triggered) and plans nothing further, so nothing piles
    // up: one abandoned run, one waiting retry, two occurrences in the log.
    expect(calls).toEqual([T0 + MINUTE]);
    expect((await h.scheduler.listExecutions()).items.map((e) => [e.attempt, e.state])).toEqual([
      [0, 'retrying'],
      [1, 'triggered'],
    ]);

    // Stop ends the wait like a running handler; the abandoned run itself is not awaited.
    const stopping = h.scheduler.stop();
    await h.clock.advanceAsync(10 * SECOND);
    await stopping;
    expect((await h.scheduler.listExecutions()).items[1]).toMatchObject({
      state: 'retrying',
      error: { name: 'AbortError' },
    });
    expect(calls).toHaveLength(1);
    expect(unhandled).toEqual([]);
  });
});
