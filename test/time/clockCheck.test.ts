import FakeTimers from '@sinonjs/fake-timers';
import { afterEach, describe, expect, it } from 'vitest';
import { isPlanflowError } from '../../src/domain/errors.js';
import { TestClock } from '../../src/testing/index.js';
import { systemClock } from '../../src/time/systemClock.js';
import { TimerQueue } from '../../src/time/TimerQueue.js';
import type { ClockJump, TimerQueueOptions } from '../../src/time/timerQueueOptions.js';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A queue over a TestClock that keeps a monotonic clock, recording jumps and fires. */
function watched(options: Omit<TimerQueueOptions, 'clock' | 'onClockJump'> = {}) {
  const clock = new TestClock(T0, { monotonic: true });
  const jumps: ClockJump[] = [];
  const fired: string[] = [];
  const queue = new TimerQueue({ clock, onClockJump: (j) => jumps.push(j), ...options });
  const at = (name: string, dueMs: number) =>
    queue.schedule(T0 + dueMs, () => fired.push(`${name}@${(clock.now() - T0) / SECOND}s`));
  return { clock, queue, jumps, fired, at };
}

let fake: ReturnType<typeof FakeTimers.install> | undefined;
afterEach(() => {
  fake?.uninstall();
  fake = undefined;
});

describe('TimerQueue clock check', () => {
  describe('after a sleep (the wall clock moved, the monotonic clock stopped)', () => {
    it('notices the wake within a second and fires what came due during the sleep', () => {
      const { clock, jumps, fired, at } = watched();
      at('due', 20 * SECOND); // the real timer waits 20 s of monotonic time
      clock.advance(5 * SECOND);
      clock.sleep(25 * SECOND); // wakes at 30 s on the wall clock: 10 s after the due time
      expect(fired).toEqual([]);

      clock.advance(SECOND);

      expect(jumps).toEqual([
        { expectedAt: T0 + 6 * SECOND, observedAt: T0 + 31 * SECOND, driftMs: 25 * SECOND },
      ]);
      expect(fired).toEqual(['due@31s']);
    });

    it('without the check, waits out the real timer: 25 s later, past a 30 s grace by then', () => {
      const { clock, jumps, fired, at } = watched({ clockCheckMs: 0 });
      at('due', 20 * SECOND);
      clock.advance(5 * SECOND);
      clock.sleep(25 * SECOND);
      clock.advance(14 * SECOND);
      expect(fired).toEqual([]);
      clock.advance(SECOND);
      expect(fired).toEqual(['due@45s']);
      expect(jumps.map((j) => j.driftMs)).toEqual([25 * SECOND]);
    });

    it('with a 60 s capped wait as well, a sleep far from any entry is still noticed at once', () => {
      const { clock, jumps, fired, at } = watched();
      at('far', DAY);
      clock.advance(30 * SECOND);
      clock.sleep(2 * HOUR);
      clock.advance(SECOND);
      expect(jumps).toHaveLength(1);
      expect(jumps[0]?.driftMs).toBe(2 * HOUR);
      clock.advance(DAY);
      expect(fired).toEqual([`far@${DAY / SECOND}s`]);
      expect(jumps).toHaveLength(1);
    });
  });

  describe('after an event-loop stall (both clocks moved together)', () => {
    it('reports no jump and fires the overdue entry late, once', () => {
      const { clock, jumps, fired, at } = watched();
      at('due', 10 * SECOND);
      clock.advance(5 * SECOND);
      clock.stall(8 * SECOND); // 4 s past the due time when the loop runs again
      clock.runDue();
      expect(fired).toEqual(['due@13s']);
      clock.advance(HOUR);
      expect(jumps).toEqual([]);
      expect(fired).toEqual(['due@13s']);
    });

    it('reports no jump for a stall longer than the threshold while waiting', () => {
      const { clock, jumps, at } = watched();
      at('later', HOUR);
      clock.advance(10 * SECOND);
      clock.stall(4 * SECOND);
      clock.advance(HOUR);
      expect(jumps).toEqual([]);
    });
  });

  describe('after the wall clock was set back', () => {
    it('reports a negative drift within a second; nothing fires twice, nothing waits longer', () => {
      const { clock, jumps, fired, at } = watched();
      at('a', 10 * SECOND);
      at('b', 2 * HOUR);
      clock.advance(10 * SECOND);
      expect(fired).toEqual(['a@10s']);

      clock.shiftWallClock(-HOUR);
      clock.advance(SECOND);
      expect(jumps).toEqual([
        { expectedAt: T0 + 11 * SECOND, observedAt: T0 - HOUR + 11 * SECOND, driftMs: -HOUR },
      ]);

      // The wall clock passes 10 s again: 'a' does not fire again.
      clock.advanceTo(T0 + 2 * HOUR - 1);
      expect(fired).toEqual(['a@10s']);
      // 'b' fires when the wall clock shows its time, not an hour after.
      clock.advance(1);
      expect(fired).toEqual(['a@10s', `b@${(2 * HOUR) / SECOND}s`]);
      expect(jumps).toHaveLength(1);
    });

    it('reports a clock set forward like a sleep', () => {
      const { clock, jumps, fired, at } = watched();
      at('due', 30 * MINUTE);
      clock.advance(SECOND);
      clock.shiftWallClock(HOUR);
      clock.advance(SECOND);
      expect(jumps.map((j) => j.driftMs)).toEqual([HOUR]);
      expect(fired).toEqual([`due@${(HOUR + 2 * SECOND) / SECOND}s`]);
    });

    it('is reported on a TestClock without a monotonic clock too, at the capped wait', () => {
      const clock = new TestClock(T0);
      const jumps: ClockJump[] = [];
      const queue = new TimerQueue({ clock, onClockJump: (j) => jumps.push(j) });
      queue.schedule(T0 + DAY, () => {});
      clock.jump(-2 * HOUR); // pending host timers keep their remaining wait
      clock.advance(MINUTE);
      expect(jumps).toEqual([
        { expectedAt: T0 + MINUTE, observedAt: T0 - 2 * HOUR + MINUTE, driftMs: -2 * HOUR },
      ]);
      queue.dispose();
    });
  });

  describe('cost and lifetime', () => {
    it('runs only while entries are pending, and stops with the queue', () => {
      const { clock, queue, at } = watched();
      expect(clock.pending).toBe(0);
      const entry = at('x', HOUR);
      expect(clock.pending).toBe(2); // the real timer and the check
      queue.cancel(entry);
      expect(clock.pending).toBe(0);
      at('y', HOUR);
      queue.dispose();
      expect(clock.pending).toBe(0);
    });

    it('is one host timer a second: an hour of waiting fires it 3 600 times, and nothing else', () => {
      const { clock, jumps, fired, at } = watched();
      at('x', HOUR);
      const timers = clock.advance(HOUR);
      // A check a second and a capped wait a minute (a check due with it is re-armed instead).
      expect(timers).toBeGreaterThanOrEqual(3_600);
      expect(timers).toBeLessThanOrEqual(3_660);
      expect(fired).toEqual(['x@3600s']);
      expect(jumps).toEqual([]);
    });

    it('turns itself off under fake timers that do not fake performance, and keeps working', () => {
      fake = FakeTimers.install({ now: T0, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
      const jumps: ClockJump[] = [];
      const queue = new TimerQueue({ clock: systemClock, onClockJump: (j) => jumps.push(j) });
      queue.schedule(T0 + DAY, () => {});
      expect(fake.countTimers()).toBe(2);
      fake.tick(5 * SECOND);
      expect(fake.countTimers()).toBe(1); // three unusable monotonic readings: check off
      expect(jumps).toEqual([]);
      fake.setSystemTime(Date.now() + HOUR);
      fake.tick(MINUTE);
      expect(jumps.map((j) => j.driftMs)).toEqual([HOUR]); // the capped wait still sees it
      queue.dispose();
      expect(fake.countTimers()).toBe(0);
    });

    it('refuses a negative clockCheckMs, saying how to turn the check off', () => {
      try {
        new TimerQueue({ clockCheckMs: -1 });
        expect.unreachable();
      } catch (error) {
        expect(isPlanflowError(error, 'planflow:invalid-options')).toBe(true);
        expect((error as Error).message).toContain('clockCheckMs must be a number of ms');
      }
    });
  });
});
