import { describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/log/EventStore.js';
import { memoryStore } from '../../src/log/memoryStore.js';
import { TestClock } from '../../src/testing/TestClock.js';
import { forwardStore } from '../helpers/forwardStore.js';
import { at, HOUR, manualTask, oneShot, SECOND, T0, useHarnesses } from '../helpers/harness.js';
import { ofType, triggeredTwice } from '../helpers/logQueries.js';

// Sleep, clock changes and stalls on a clock that keeps monotonic time as the host does: the
// timer queue's once-a-second check compares the two (docs/lifecycle.md).

const { setUp } = useHarnesses();
const monotonicClock = () => new TestClock(T0, { monotonic: true });

describe('SmartScheduler', () => {
  describe('when the machine sleeps past a due time', () => {
    it('triggers the run within a second of waking, inside the grace, and records the jump', async () => {
      const h = setUp({ clock: monotonicClock() });
      await h.scheduler.defineTask(oneShot('due', 20 * SECOND));
      await h.scheduler.start();
      await h.clock.advanceAsync(5 * SECOND);
      h.clock.sleep(25 * SECOND); // wakes 10 s after the due time
      await h.clock.advanceAsync(SECOND);

      expect(h.calls.map((c) => c.atMs - T0)).toEqual([31 * SECOND]);
      expect(
        (await h.scheduler.listExecutions({ taskId: 'due' })).items.map((e) => e.state),
      ).toEqual(['done']);
      const [triggered] = ofType(await h.events(), 'occurrence.triggered');
      expect(triggered?.data.lateByMs).toBe(11 * SECOND);
      const jumps = ofType(await h.events(), 'scheduler.clock_jumped');
      expect(jumps.map((j) => j.data)).toEqual([
        { expectedAt: at(6 * SECOND), observedAt: at(31 * SECOND), driftMs: 25 * SECOND },
      ]);
    });
  });

  describe('when the event loop stalls', () => {
    it('runs the overdue occurrence late and records no clock jump', async () => {
      const h = setUp({ clock: monotonicClock() });
      await h.scheduler.defineTask(oneShot('due', 10 * SECOND));
      await h.scheduler.start();
      await h.clock.advanceAsync(5 * SECOND);
      h.clock.stall(9 * SECOND); // a 9 s synchronous block, 4 s past the due time
      await h.clock.advanceAsync(0);
      await h.clock.advanceAsync(HOUR);

      expect(h.calls.map((c) => c.atMs - T0)).toEqual([14 * SECOND]);
      expect(ofType(await h.events(), 'scheduler.clock_jumped')).toEqual([]);
    });
  });

  describe('when a burst fires past its grace', () => {
    it('records every miss of the burst in one append, not one each', async () => {
      const inner = memoryStore({ clock: monotonicClock() });
      let missAppends = 0;
      const store: EventStore = {
        ...forwardStore(inner),
        append: (events, options) => {
          if (events.some((e) => e.type === 'occurrence.missed')) missAppends++;
          return inner.append(events, options);
        },
      };
      const h = setUp({
        clock: monotonicClock(),
        store,
        calendar: { timeZone: 'UTC', exclusiveInstants: false },
      });
      const tasks = Array.from({ length: 40 }, (_, i) => oneShot(`burst-${i}`, 10 * SECOND));
      for (const task of tasks) await h.scheduler.defineTask(task);
      await h.scheduler.start();
      await h.clock.advanceAsync(5 * SECOND);
      h.clock.stall(40 * SECOND); // blocked until 35 s past the due time: beyond the 30 s grace
      await h.clock.advanceAsync(0);
      await h.clock.advanceAsync(SECOND);

      expect(h.calls).toEqual([]);
      const missed = ofType(await h.events(), 'occurrence.missed');
      expect(new Set(missed.map((m) => m.data.occurrenceId)).size).toBe(40);
      expect(missAppends).toBe(1);
      expect(h.errors).toEqual([]);
    });
  });

  describe('when the wall clock is set back', () => {
    it('records a negative jump within a second, runs nothing twice and the next run on time', async () => {
      const h = setUp({ clock: monotonicClock() });
      await h.scheduler.defineTask({
        ...manualTask('hourly'),
        recurrence: { everyMs: HOUR, anchor: at(HOUR) },
      });
      await h.scheduler.start();
      await h.clock.advanceAsync(HOUR);
      expect(h.calls.map((c) => c.atMs - T0)).toEqual([HOUR]);

      h.clock.shiftWallClock(-HOUR); // back to T0: 01:00 comes round again
      await h.clock.advanceAsync(SECOND);
      const [jump] = ofType(await h.events(), 'scheduler.clock_jumped');
      expect(jump?.data.driftMs).toBe(-HOUR);
      expect(jump?.data.observedAt).toBe(at(SECOND));

      await h.clock.advanceAsync(2 * HOUR - SECOND - 1);
      expect(h.calls.map((c) => c.atMs - T0)).toEqual([HOUR]); // 01:00 did not run again
      await h.clock.advanceAsync(1);
      expect(h.calls.map((c) => c.atMs - T0)).toEqual([HOUR, 2 * HOUR]);
      expect(triggeredTwice(await h.events())).toEqual([]);
      expect(ofType(await h.events(), 'scheduler.clock_jumped')).toHaveLength(1);
    });
  });
});
