import { describe, expect, it } from 'vitest';
import { TestClock } from '../../src/testing/TestClock.js';
import { deferred, manualTask, SECOND, T0, useHarnesses } from '../helpers/harness.js';
import { ofType, triggeredTwice } from '../helpers/logQueries.js';

// Concurrency limits: at most `concurrency` handlers execute at once, and at most a task's
// `maxConcurrent` of its own; a run beyond them is triggered (recorded) as usual and waits for
// a place before its handler is called, recording how long it waited.

const { setUp } = useHarnesses();

/** A handler that takes `ms` on the test clock, and counts how many run at once. */
function timed(clock: TestClock, ms: number) {
  const seen = { now: 0, most: 0, starts: [] as number[] };
  const handler = () => {
    seen.now++;
    seen.most = Math.max(seen.most, seen.now);
    seen.starts.push(clock.now() - T0);
    return new Promise<void>((resolve) =>
      clock.setTimeout(() => {
        seen.now--;
        resolve();
      }, ms),
    );
  };
  return { handler, seen };
}

const SHARED = { timeZone: 'UTC', exclusiveInstants: false };
const now = () => new Date(T0).toISOString();

describe('SmartScheduler concurrency', () => {
  it('runs at most `concurrency` handlers at once; the others wait, and say how long', async () => {
    const clock = new TestClock(T0);
    const { handler, seen } = timed(clock, SECOND);
    const h = setUp({ clock, concurrency: 2, calendar: SHARED, handlers: { work: handler } });
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      await h.scheduler.defineTask(manualTask(id, { handler: 'work', startAt: now() }));
    }
    await h.scheduler.start();
    await h.clock.advanceAsync(3 * SECOND);

    expect(seen.most).toBe(2);
    expect(seen.starts).toEqual([0, 0, SECOND, SECOND, 2 * SECOND]);
    const events = await h.events();
    // Every trigger is recorded on time; only the handler calls wait.
    expect(ofType(events, 'occurrence.triggered').map((e) => e.data.lateByMs)).toEqual([
      0, 0, 0, 0, 0,
    ]);
    const completed = ofType(events, 'occurrence.completed').map((e) => e.data);
    expect(completed.map((d) => [d.durationMs, d.waitedForPlaceMs])).toEqual([
      [SECOND, undefined],
      [SECOND, undefined],
      [SECOND, SECOND],
      [SECOND, SECOND],
      [SECOND, 2 * SECOND],
    ]);
    expect(triggeredTwice(events)).toEqual([]);
  });

  it("limits a task's own runs with maxConcurrent, without holding up other tasks", async () => {
    const clock = new TestClock(T0);
    const { handler, seen } = timed(clock, SECOND);
    const h = setUp({ clock, handlers: { work: handler } });
    await h.scheduler.defineTask(manualTask('one', { handler: 'work', maxConcurrent: 1 }));
    await h.scheduler.defineTask(manualTask('free', { handler: 'work' }));
    await h.scheduler.start();

    await h.scheduler.triggerNow({ taskId: 'one' });
    await h.clock.advanceAsync(1);
    await h.scheduler.triggerNow({ taskId: 'one' });
    await h.scheduler.triggerNow({ taskId: 'free' });
    await h.clock.advanceAsync(3 * SECOND);

    // The second run of `one` waited for the first; `free` did not wait behind it.
    expect(seen.starts).toEqual([0, 1, SECOND]);
    const waits = ofType(await h.events(), 'occurrence.completed').map(
      (e) => e.data.waitedForPlaceMs,
    );
    expect(waits).toEqual([undefined, undefined, SECOND - 1]);
  });

  it('keeps the place of a timed-out handler until it really settles', async () => {
    const clock = new TestClock(T0);
    const stuck = deferred();
    let calls = 0;
    const h = setUp({
      clock,
      concurrency: 1,
      calendar: SHARED,
      handlers: {
        slow: () => {
          calls++;
          return calls === 1 ? stuck.promise : undefined;
        },
      },
    });
    await h.scheduler.defineTask(
      manualTask('a', { handler: 'slow', timeoutMs: SECOND, startAt: now() }),
    );
    await h.scheduler.defineTask(manualTask('b', { handler: 'slow', startAt: now() }));
    await h.scheduler.start();
    await h.clock.advanceAsync(5 * SECOND);

    expect(calls).toBe(1);
    const failed = ofType(await h.events(), 'occurrence.failed');
    expect(failed.map((e) => e.data.error.timedOut)).toEqual([true]);
    stuck.resolve();
    await h.clock.settle();

    expect(calls).toBe(2);
    const [done] = ofType(await h.events(), 'occurrence.completed');
    expect(done?.data.waitedForPlaceMs).toBe(5 * SECOND);
  });

  it('ends a wait for a place at stop, without calling the handler', async () => {
    const clock = new TestClock(T0);
    const gate = deferred();
    let calls = 0;
    const h = setUp({
      clock,
      concurrency: 1,
      calendar: SHARED,
      stopTimeoutMs: SECOND,
      handlers: {
        hold: () => {
          calls++;
          return gate.promise;
        },
      },
    });
    await h.scheduler.defineTask(manualTask('a', { handler: 'hold', startAt: now() }));
    await h.scheduler.defineTask(manualTask('b', { handler: 'hold', startAt: now() }));
    await h.scheduler.start();
    await h.clock.settle();

    const stopping = h.scheduler.stop();
    await h.clock.advanceAsync(SECOND);
    await stopping;

    expect(calls).toBe(1);
    const failed = ofType(await h.events(), 'occurrence.failed').map((e) => e.data);
    const waited = failed.find((d) => d.waitedForPlaceMs !== undefined);
    expect(waited).toMatchObject({
      durationMs: 0,
      waitedForPlaceMs: SECOND,
      error: { name: 'AbortError', message: expect.stringContaining('waited for a place') },
    });
    gate.resolve();
  });

  it('refuses a concurrency or maxConcurrent that is not a whole number ≥ 1', async () => {
    const { setUp: make } = { setUp };
    for (const concurrency of [0, 1.5, -1, '2', Number.NaN]) {
      expect(() => make({ concurrency: concurrency as number })).toThrow(
        /concurrency must be a whole number ≥ 1 \(handlers executing at once\), or Infinity/,
      );
    }
    const h = setUp({ concurrency: Number.POSITIVE_INFINITY });
    await expect(
      h.scheduler.defineTask(manualTask('t', { maxConcurrent: 0 })),
    ).rejects.toMatchObject({ field: 'maxConcurrent', code: 'planflow:invalid-task' });
  });
});
