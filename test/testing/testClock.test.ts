import FakeTimers from '@sinonjs/fake-timers';
import { describe, expect, it, vi } from 'vitest';
import { isPlanflowError, ValidationError } from '../../src/domain/errors.js';
import { fakeTimersClock, settleMicrotasks, TestClock } from '../../src/testing/index.js';
import { TimerQueue } from '../../src/time/TimerQueue.js';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');

describe('TestClock', () => {
  it('starts at the given time (number or Date) and stands still until told', () => {
    expect(new TestClock(new Date(T0)).now()).toBe(T0);
    const clock = new TestClock(T0);
    clock.setTimeout(() => {}, 10);
    expect(clock.now()).toBe(T0);
    expect(clock.pending).toBe(1);
    expect(clock.nextDueAt).toBe(T0 + 10);
  });

  describe('advance', () => {
    it('fires due timers in order, each seeing now() equal to its due time', () => {
      const clock = new TestClock(T0);
      const seen: Array<[string, number]> = [];
      clock.setTimeout(() => seen.push(['b', clock.now() - T0]), 200);
      clock.setTimeout(() => seen.push(['a', clock.now() - T0]), 100);
      clock.setTimeout(() => seen.push(['c', clock.now() - T0]), 300);
      expect(clock.advance(250)).toBe(2);
      expect(seen).toEqual([
        ['a', 100],
        ['b', 200],
      ]);
      expect(clock.now()).toBe(T0 + 250);
      expect(clock.pending).toBe(1);
    });

    it('fires timers scheduled by callbacks during the same advance', () => {
      const clock = new TestClock(T0);
      const seen: number[] = [];
      clock.setTimeout(() => {
        seen.push(clock.now() - T0);
        clock.setTimeout(() => seen.push(clock.now() - T0), 50);
        clock.setTimeout(() => seen.push(clock.now() - T0), 500);
      }, 100);
      clock.advance(200);
      expect(seen).toEqual([100, 150]);
      clock.advance(400);
      expect(seen).toEqual([100, 150, 600]);
    });

    it('fires timers due at the same instant first-in first-out', () => {
      const clock = new TestClock(T0);
      const seen: number[] = [];
      for (let i = 0; i < 5; i++) clock.setTimeout(() => seen.push(i), 10);
      clock.advance(10);
      expect(seen).toEqual([0, 1, 2, 3, 4]);
    });

    it('does not fire a cleared timer', () => {
      const clock = new TestClock(T0);
      const fn = vi.fn();
      const handle = clock.setTimeout(fn, 10);
      clock.clearTimeout(handle);
      clock.clearTimeout(handle);
      clock.advance(20);
      expect(fn).not.toHaveBeenCalled();
      expect(clock.pending).toBe(0);
    });

    it('advanceTo moves to an absolute time', () => {
      const clock = new TestClock(T0);
      const fn = vi.fn();
      clock.setTimeout(fn, 1000);
      clock.advanceTo(new Date(T0 + 1000));
      expect(fn).toHaveBeenCalledTimes(1);
      expect(clock.now()).toBe(T0 + 1000);
    });

    it('rejects negative or non-finite durations', () => {
      const clock = new TestClock(T0);
      expect(() => clock.advance(-1)).toThrow(ValidationError);
      expect(() => clock.advance(Number.NaN)).toThrow(/ms must be a finite number/);
    });

    it('fires the other timers and then rethrows the first callback error', () => {
      const clock = new TestClock(T0);
      const fn = vi.fn();
      clock.setTimeout(() => {
        throw new Error('first');
      }, 1);
      clock.setTimeout(fn, 2);
      expect(() => clock.advance(5)).toThrow('first');
      expect(fn).toHaveBeenCalledTimes(1);
      expect(clock.now()).toBe(T0 + 5);
    });

    it('refuses to advance from inside a timer callback', () => {
      const clock = new TestClock(T0);
      clock.setTimeout(() => clock.advance(1), 1);
      expect(() => clock.advance(1)).toThrow(/already advancing/);
    });

    it('stops a timer that re-arms itself forever at loopLimit', () => {
      const clock = new TestClock(T0, { loopLimit: 100 });
      const again = (): void => {
        clock.setTimeout(again, 0);
      };
      clock.setTimeout(again, 0);
      try {
        clock.runDue();
        expect.unreachable();
      } catch (error) {
        expect(isPlanflowError(error)).toBe(true);
        expect((error as Error).message).toContain('loopLimit');
      }
    });
  });

  describe('jump and set', () => {
    it('moves the wall clock without firing; the next runDue fires overdue timers late', () => {
      const clock = new TestClock(T0);
      const seen: number[] = [];
      clock.setTimeout(() => seen.push(clock.now() - T0), 1000);
      clock.setTimeout(() => seen.push(clock.now() - T0), 5000);
      clock.jump(2 * 3_600_000);
      expect(seen).toEqual([]);
      expect(clock.now()).toBe(T0 + 7_200_000);
      expect(clock.runDue()).toBe(2);
      expect(seen).toEqual([7_200_000, 7_200_000]);
    });

    it('set moves to an absolute time in either direction without firing', () => {
      const clock = new TestClock(T0);
      const fn = vi.fn();
      clock.setTimeout(fn, 1000);
      clock.set(T0 - 5000);
      expect(clock.now()).toBe(T0 - 5000);
      clock.advance(5999);
      expect(fn).not.toHaveBeenCalled();
      clock.advance(1);
      expect(fn).toHaveBeenCalledTimes(1);
      expect(() => clock.set(new Date('nope'))).toThrow(/valid Date/);
      expect(() => clock.jump(Number.NaN)).toThrow(/jump: ms must be a finite number/);
    });
  });

  describe('sleep, clock changes and stalls', () => {
    /** A clock with a monotonic reading and two timers, 1 s and 5 s away. */
    function twoTimers() {
      const clock = new TestClock(T0, { monotonic: true });
      const seen: string[] = [];
      const at = (name: string) => () =>
        seen.push(`${name}: wall +${clock.now() - T0}, mono ${clock.monotonic?.()}`);
      clock.setTimeout(at('a'), 1000);
      clock.setTimeout(at('b'), 5000);
      return { clock, seen };
    }

    it('has no monotonic reading unless asked for one', () => {
      expect(new TestClock(T0).monotonic).toBeUndefined();
      const clock = new TestClock(T0, { monotonic: true });
      expect(clock.monotonic?.()).toBe(0);
      clock.advance(1500);
      expect(clock.monotonic?.()).toBe(1500);
    });

    it('sleep moves only the wall clock; timers wait out their remaining time', () => {
      const { clock, seen } = twoTimers();
      clock.sleep(60_000);
      expect(clock.now()).toBe(T0 + 60_000);
      expect(clock.monotonic?.()).toBe(0);
      expect(clock.runDue()).toBe(0);
      clock.advance(5000);
      expect(seen).toEqual(['a: wall +61000, mono 1000', 'b: wall +65000, mono 5000']);
    });

    it('sleep with monotonicCounts moves both, and the overdue timers fire on the next runDue', () => {
      const { clock, seen } = twoTimers();
      clock.sleep(60_000, { monotonicCounts: true });
      expect(clock.monotonic?.()).toBe(60_000);
      expect(clock.runDue()).toBe(2);
      expect(seen).toEqual(['a: wall +60000, mono 60000', 'b: wall +60000, mono 60000']);
    });

    it('shiftWallClock moves only the wall clock, either way; timers keep their remaining wait', () => {
      const { clock, seen } = twoTimers();
      clock.shiftWallClock(-3_600_000);
      expect(clock.now()).toBe(T0 - 3_600_000);
      clock.advance(1000);
      expect(seen).toEqual(['a: wall +-3599000, mono 1000']);
      clock.shiftWallClock(7_200_000);
      clock.advance(4000);
      expect(seen).toEqual(['a: wall +-3599000, mono 1000', 'b: wall +3605000, mono 5000']);
      expect(() => clock.shiftWallClock(Number.POSITIVE_INFINITY)).toThrow(/finite number/);
    });

    it('stall moves both clocks without firing; the next runDue fires the overdue timers late', () => {
      const { clock, seen } = twoTimers();
      clock.stall(3000);
      expect(seen).toEqual([]);
      expect(clock.runDue()).toBe(1);
      expect(seen).toEqual(['a: wall +3000, mono 3000']);
      expect(() => clock.stall(-1)).toThrow(/stall: ms must be a finite number ≥ 0/);
      expect(() => clock.sleep(-1)).toThrow(/sleep: ms must be a finite number ≥ 0/);
    });

    it('jump back keeps the timers remaining wait, as host timers do', () => {
      const { clock, seen } = twoTimers();
      clock.jump(-3_600_000);
      clock.advance(1000);
      expect(seen).toEqual(['a: wall +-3599000, mono 1000']);
    });
  });

  describe('runAll', () => {
    it('fires every timer, advancing to each, and leaves none pending', () => {
      const clock = new TestClock(T0);
      const seen: number[] = [];
      clock.setTimeout(() => seen.push(clock.now() - T0), 3000);
      clock.setTimeout(() => {
        seen.push(clock.now() - T0);
        clock.setTimeout(() => seen.push(clock.now() - T0), 10_000);
      }, 1000);
      expect(clock.runAll()).toBe(3);
      expect(seen).toEqual([1000, 3000, 11_000]);
      expect(clock.pending).toBe(0);
      expect(clock.now()).toBe(T0 + 11_000);
    });

    it('drives a TimerQueue through a 40-day wait in capped steps', () => {
      const clock = new TestClock(T0);
      const queue = new TimerQueue({ clock });
      const fn = vi.fn();
      queue.schedule(T0 + 40 * 86_400_000, fn);
      clock.runAll();
      expect(fn).toHaveBeenCalledTimes(1);
      expect(clock.now()).toBe(T0 + 40 * 86_400_000);
    });
  });

  describe('advanceAsync', () => {
    it('lets an async callback finish before the next timer fires', async () => {
      const clock = new TestClock(T0);
      const log: string[] = [];
      clock.setTimeout(async () => {
        log.push('start 1');
        await settleMicrotasks(20);
        log.push(`end 1 @${clock.now() - T0}`);
      }, 100);
      clock.setTimeout(() => log.push(`fire 2 @${clock.now() - T0}`), 100);
      expect(await clock.advanceAsync(200)).toBe(2);
      expect(log).toEqual(['start 1', 'end 1 @100', 'fire 2 @100']);
      expect(clock.now()).toBe(T0 + 200);
    });

    it('contrasts with advance, which does not wait for promises', () => {
      const clock = new TestClock(T0);
      const log: string[] = [];
      clock.setTimeout(async () => {
        await Promise.resolve();
        log.push('async end');
      }, 100);
      clock.setTimeout(() => log.push('sync'), 100);
      clock.advance(100);
      expect(log).toEqual(['sync']);
    });

    it('fires timers an async callback schedules once it resumes', async () => {
      const clock = new TestClock(T0);
      const seen: number[] = [];
      clock.setTimeout(async () => {
        await Promise.resolve();
        clock.setTimeout(() => seen.push(clock.now() - T0), 10);
      }, 100);
      await clock.advanceAsync(200);
      expect(seen).toEqual([110]);
    });
  });
});

describe('fakeTimersClock', () => {
  it('adapts a private @sinonjs/fake-timers clock', () => {
    const fake = FakeTimers.createClock(T0);
    const clock = fakeTimersClock(fake);
    const fn = vi.fn();
    expect(clock.now()).toBe(T0);
    const handle = clock.setTimeout(fn, 100);
    clock.setTimeout(fn, 200);
    clock.clearTimeout(handle);
    fake.tick(300);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(clock.now()).toBe(T0 + 300);
  });

  it('drives a TimerQueue through a 40-day wait', () => {
    const fake = FakeTimers.createClock(T0);
    const queue = new TimerQueue({ clock: fakeTimersClock(fake) });
    const fn = vi.fn();
    queue.setTimeout(fn, 40 * 86_400_000);
    fake.tick(40 * 86_400_000 - 1);
    expect(fn).not.toHaveBeenCalled();
    fake.tick(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
