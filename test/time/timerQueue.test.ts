import FakeTimers from '@sinonjs/fake-timers';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActor, setup } from 'xstate';
import { isPlanflowError, StateError, ValidationError } from '../../src/domain/errors.js';
import { TestClock } from '../../src/testing/index.js';
import type { Clock } from '../../src/time/Clock.js';
import { systemClock } from '../../src/time/systemClock.js';
import { type TimerHandle, TimerQueue } from '../../src/time/TimerQueue.js';
import type { ClockJump } from '../../src/time/timerQueueOptions.js';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const setupQueue = (options: { onClockJump?: (jump: ClockJump) => void } = {}) => {
  const clock = new TestClock(T0);
  const errors: unknown[] = [];
  const queue = new TimerQueue({ clock, onError: (e) => errors.push(e), ...options });
  return { clock, queue, errors };
};

describe('TimerQueue', () => {
  describe('ordering', () => {
    it('fires entries in due order, whatever order they were scheduled in', () => {
      const { clock, queue } = setupQueue();
      const fired: string[] = [];
      queue.schedule(T0 + 3000, () => fired.push('c'));
      queue.schedule(T0 + 1000, () => fired.push('a'));
      queue.schedule(T0 + 2000, () => fired.push('b'));
      clock.advance(5000);
      expect(fired).toEqual(['a', 'b', 'c']);
    });

    it('fires entries due at the same instant first-in first-out', () => {
      const { clock, queue } = setupQueue();
      const fired: number[] = [];
      for (let i = 0; i < 20; i++) queue.schedule(T0 + 1000, () => fired.push(i));
      clock.advance(1000);
      expect(fired).toEqual([...Array(20).keys()]);
    });

    it('lets each callback see now() at (or after) its own due time, never before', () => {
      const { clock, queue } = setupQueue();
      const seen: Array<[number, number]> = [];
      for (const due of [T0 + 500, T0 + 90_000, T0 + 3 * HOUR]) {
        queue.schedule(due, () => seen.push([due, clock.now()]));
      }
      clock.advance(4 * HOUR);
      expect(seen).toEqual([
        [T0 + 500, T0 + 500],
        [T0 + 90_000, T0 + 90_000],
        [T0 + 3 * HOUR, T0 + 3 * HOUR],
      ]);
    });

    it('keeps (dueAt, insertion) order under any mix of schedules and cancels', () => {
      const op = fc.oneof(
        fc.record({ kind: fc.constant('add' as const), due: fc.integer({ min: 0, max: 20 }) }),
        fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
      );
      fc.assert(
        fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
          const { clock, queue } = setupQueue();
          const fired: number[] = [];
          const live: Array<{ id: number; due: number; handle: TimerHandle }> = [];
          let id = 0;
          for (const o of ops) {
            if (o.kind === 'add') {
              const n = id++;
              live.push({
                id: n,
                due: o.due,
                handle: queue.schedule(T0 + o.due, () => fired.push(n)),
              });
            } else if (live.length > 0) {
              const [gone] = live.splice(o.pick % live.length, 1);
              expect(queue.cancel(gone!.handle)).toBe(true);
            }
          }
          expect(queue.size).toBe(live.length);
          clock.advance(100);
          const expected = [...live].sort((a, b) => a.due - b.due || a.id - b.id).map((e) => e.id);
          expect(fired).toEqual(expected);
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('cancel and keys', () => {
    it('does not fire a cancelled entry and reports the second cancel as a no-op', () => {
      const { clock, queue } = setupQueue();
      const fn = vi.fn();
      const handle = queue.schedule(T0 + 1000, fn);
      expect(queue.cancel(handle)).toBe(true);
      expect(queue.cancel(handle)).toBe(false);
      expect(handle.pending).toBe(false);
      clock.advance(2000);
      expect(fn).not.toHaveBeenCalled();
    });

    it('replaces the entry pending under the same key instead of adding a second one', () => {
      const { clock, queue } = setupQueue();
      const first = vi.fn();
      const second = vi.fn();
      queue.schedule(T0 + 1000, first, 'occ-1');
      queue.schedule(T0 + 5000, second, 'occ-1');
      expect(queue.size).toBe(1);
      expect(queue.get('occ-1')?.dueAt).toBe(T0 + 5000);
      clock.advance(10_000);
      expect(first).not.toHaveBeenCalled();
      expect(second).toHaveBeenCalledTimes(1);
      expect(queue.get('occ-1')).toBeUndefined();
    });

    it('cancels by key', () => {
      const { clock, queue } = setupQueue();
      const fn = vi.fn();
      queue.schedule(T0 + 1000, fn, 'occ-1');
      expect(queue.cancelKey('occ-1')).toBe(true);
      expect(queue.cancelKey('occ-1')).toBe(false);
      clock.advance(2000);
      expect(fn).not.toHaveBeenCalled();
    });

    it('hands one shared callback the entry it fires for, so keys tell the entries apart', () => {
      const { clock, queue } = setupQueue();
      const fired: [string | undefined, number][] = [];
      const shared = (entry: TimerHandle) => fired.push([entry.key, entry.dueAt]);
      queue.schedule(T0 + 2000, shared, 'occ-2');
      queue.schedule(T0 + 1000, shared, 'occ-1');
      clock.advance(3000);
      expect(fired).toEqual([
        ['occ-1', T0 + 1000],
        ['occ-2', T0 + 2000],
      ]);
    });

    it('cancels every entry of one callback in one call and keeps the others in order', () => {
      const { clock, queue } = setupQueue();
      const fired: string[] = [];
      const shared = (entry: TimerHandle) => fired.push(`shared ${entry.key}`);
      const handles: TimerHandle[] = [];
      for (let i = 0; i < 50; i++) {
        handles.push(queue.schedule(T0 + ((i * 37) % 50) * 100, shared, `occ-${i}`));
        queue.schedule(T0 + ((i * 13) % 50) * 100 + 50, () => fired.push(`other ${i}`));
      }
      expect(queue.cancelAll(shared)).toBe(50);
      expect(queue.cancelAll(shared)).toBe(0);
      expect(handles.every((h) => !h.pending)).toBe(true);
      expect(queue.get('occ-3')).toBeUndefined();
      expect(queue.size).toBe(50);
      clock.advance(10_000);
      const expected = [...Array(50).keys()]
        .sort((a, b) => ((a * 13) % 50) - ((b * 13) % 50))
        .map((i) => `other ${i}`);
      expect(fired).toEqual(expected);
    });

    it('releases the real timer when cancelAll empties the queue', () => {
      const { clock, queue } = setupQueue();
      const shared = () => {};
      queue.schedule(T0 + 1000, shared, 'a');
      queue.schedule(T0 + 2000, shared, 'b');
      expect(clock.pending).toBe(1);
      queue.cancelAll(shared);
      expect(clock.pending).toBe(0);
    });
  });

  describe('real timer', () => {
    it('keeps exactly one real timer for any number of entries', () => {
      const { clock, queue } = setupQueue();
      for (let i = 0; i < 1000; i++) queue.schedule(T0 + 1000 + i, () => {});
      expect(queue.size).toBe(1000);
      expect(clock.pending).toBe(1);
    });

    it('releases the real timer when the last entry is cancelled', () => {
      const { clock, queue } = setupQueue();
      const a = queue.schedule(T0 + 1000, () => {});
      const b = queue.schedule(T0 + 2000, () => {});
      queue.cancel(a);
      expect(clock.pending).toBe(1);
      queue.cancel(b);
      expect(clock.pending).toBe(0);
    });

    it('caps each real wait so an earlier entry added later is still honoured', () => {
      const { clock, queue } = setupQueue();
      const fired: string[] = [];
      queue.schedule(T0 + 10 * DAY, () => fired.push('late'));
      expect(clock.nextDueAt).toBe(T0 + MINUTE);
      queue.schedule(T0 + 1000, () => fired.push('early'));
      expect(clock.nextDueAt).toBe(T0 + 1000);
      clock.advance(1000);
      expect(fired).toEqual(['early']);
    });

    it('never arms for an Infinity entry', () => {
      const { clock, queue } = setupQueue();
      queue.schedule(Number.POSITIVE_INFINITY, () => {});
      expect(queue.size).toBe(1);
      expect(clock.pending).toBe(0);
    });

    it('unrefs the real timer when keepAlive is false', () => {
      const unref = vi.fn();
      const clock: Clock = {
        now: () => T0,
        setTimeout: () => ({ unref }),
        clearTimeout: () => {},
      };
      new TimerQueue({ clock, keepAlive: false }).schedule(T0 + 1000, () => {});
      expect(unref).toHaveBeenCalledTimes(1);
      new TimerQueue({ clock }).schedule(T0 + 1000, () => {});
      expect(unref).toHaveBeenCalledTimes(1);
    });

    it('fires an entry scheduled by a callback on the next wake-up, after the current pass', () => {
      // A stub clock whose single real timer the test fires by hand, one wake-up at a time.
      let wake: (() => void) | undefined;
      const clock: Clock = {
        now: () => T0,
        setTimeout: (callback) => {
          wake = callback;
          return 1;
        },
        clearTimeout: () => {
          wake = undefined;
        },
      };
      const queue = new TimerQueue({ clock });
      let runs = 0;
      const again = (): void => {
        runs++;
        // Already due, even earlier than what is queued; bounded so a regression fails fast.
        if (runs < 5) queue.schedule(T0 - 1, again);
      };
      queue.schedule(T0, again);
      queue.schedule(T0, () => {});
      wake!();
      expect(runs).toBe(1);
      expect(queue.size).toBe(2);
      expect(wake).toBeDefined();
      wake!();
      expect(runs).toBe(2);
    });
  });

  describe('bursts', () => {
    /** A stub clock whose single real timer the test fires by hand, one wake-up at a time. */
    const handClock = () => {
      const waits: number[] = [];
      let wake: (() => void) | undefined;
      const clock: Clock = {
        now: () => T0,
        setTimeout: (callback, delayMs) => {
          waits.push(delayMs);
          wake = callback;
          return 1;
        },
        clearTimeout: () => {
          wake = undefined;
        },
      };
      return { clock, waits, wake: () => wake!() };
    };

    it('fires at most maxFiresPerWake entries per wake-up and the rest right after, in order', () => {
      const { clock, waits, wake } = handClock();
      const queue = new TimerQueue({ clock, maxFiresPerWake: 100 });
      const fired: number[] = [];
      for (let i = 0; i < 250; i++) queue.schedule(T0 - 250 + i, () => fired.push(i));
      wake();
      expect(fired).toEqual(Array.from({ length: 100 }, (_, i) => i));
      // The rest are already due: the next wake-up is a zero-length wait.
      expect(waits.at(-1)).toBe(0);
      wake();
      wake();
      expect(fired).toEqual(Array.from({ length: 250 }, (_, i) => i));
      expect(queue.size).toBe(0);
    });

    it('lets promises started by the first callbacks settle before the rest fire', async () => {
      const clock = new TestClock(T0);
      const queue = new TimerQueue({ clock, maxFiresPerWake: 2 });
      const order: string[] = [];
      for (const name of ['a', 'b', 'c', 'd']) {
        queue.schedule(T0 + 10, () => {
          order.push(`fire ${name}`);
          void Promise.resolve().then(() => order.push(`then ${name}`));
        });
      }
      await clock.advanceAsync(10);
      expect(order).toEqual([
        'fire a',
        'fire b',
        'then a',
        'then b',
        'fire c',
        'fire d',
        'then c',
        'then d',
      ]);
    });

    it('fires a burst of 256 in one wake-up by default', () => {
      const { clock, wake } = handClock();
      const queue = new TimerQueue({ clock });
      let fired = 0;
      for (let i = 0; i < 300; i++) queue.schedule(T0, () => fired++);
      wake();
      expect(fired).toBe(256);
    });
  });

  describe('long delays', () => {
    it('fires a 40-day delay at its time, not early (TestClock)', () => {
      const { clock, queue } = setupQueue();
      const fired: number[] = [];
      queue.setTimeout(() => fired.push(clock.now()), 40 * DAY);
      clock.advance(40 * DAY - 1);
      expect(fired).toEqual([]);
      clock.advance(1);
      expect(fired).toEqual([T0 + 40 * DAY]);
    });

    describe('under @sinonjs/fake-timers with systemClock', () => {
      let fake: ReturnType<typeof FakeTimers.install> | undefined;
      afterEach(() => {
        fake?.uninstall();
        fake = undefined;
      });

      it('fires a 40-day delay at its time, not early', () => {
        fake = FakeTimers.install({ now: T0, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
        const queue = new TimerQueue({ clock: systemClock });
        const fired: number[] = [];
        queue.setTimeout(() => fired.push(Date.now()), 40 * DAY);
        fake.tick(40 * DAY - 1);
        expect(fired).toEqual([]);
        fake.tick(1);
        expect(fired).toEqual([T0 + 40 * DAY]);
        queue.dispose();
        expect(fake.countTimers()).toBe(0);
      });

      it('reports the wall clock jumping forward and backward relative to the timer', () => {
        fake = FakeTimers.install({ now: T0, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
        const jumps: ClockJump[] = [];
        const queue = new TimerQueue({ onClockJump: (j) => jumps.push(j) });
        queue.schedule(T0 + DAY, () => {});
        fake.setSystemTime(T0 + 2 * HOUR); // timers keep their remaining wait
        fake.tick(MINUTE);
        expect(jumps).toEqual([
          { expectedAt: T0 + MINUTE, observedAt: T0 + 2 * HOUR + MINUTE, driftMs: 2 * HOUR },
        ]);
        fake.setSystemTime(Date.now() - HOUR);
        fake.tick(MINUTE);
        expect(jumps).toHaveLength(2);
        expect(jumps[1]!.driftMs).toBe(-HOUR);
        queue.dispose();
      });
    });

    it('makes an XState after delay of 40 days exact when the queue is the actor clock', () => {
      const { clock, queue } = setupQueue();
      const machine = setup({ delays: { fortyDays: 40 * DAY } }).createMachine({
        initial: 'waiting',
        states: { waiting: { after: { fortyDays: 'due' } }, due: { type: 'final' } },
      });
      const actor = createActor(machine, { clock: queue }).start();
      clock.advance(40 * DAY - 1);
      expect(actor.getSnapshot().value).toBe('waiting');
      clock.advance(1);
      expect(actor.getSnapshot().value).toBe('due');
    });
  });

  describe('clock jumps', () => {
    it('reports a 2-hour jump once, before firing the entries it overran, in order', () => {
      const log: string[] = [];
      const jumps: ClockJump[] = [];
      const { clock, queue } = setupQueue({
        onClockJump: (jump) => {
          jumps.push(jump);
          log.push('jump');
        },
      });
      queue.schedule(T0 + 30 * MINUTE, () => log.push(`a@${clock.now() - T0}`));
      queue.schedule(T0 + 90 * MINUTE, () => log.push(`b@${clock.now() - T0}`));
      queue.schedule(T0 + 5 * HOUR, () => log.push(`c@${clock.now() - T0}`));
      clock.advance(30_000);
      clock.jump(2 * HOUR);
      clock.runDue();
      expect(jumps).toEqual([
        {
          expectedAt: T0 + MINUTE,
          observedAt: T0 + 2 * HOUR + 30_000,
          driftMs: 2 * HOUR + 30_000 - MINUTE,
        },
      ]);
      const late = 2 * HOUR + 30_000;
      expect(log).toEqual(['jump', `a@${late}`, `b@${late}`]);
      clock.advance(4 * HOUR);
      expect(jumps).toHaveLength(1);
      expect(log.at(-1)).toBe(`c@${5 * HOUR}`);
    });

    it('stays quiet when wake-ups are on time', () => {
      const onClockJump = vi.fn();
      const { clock, queue } = setupQueue({ onClockJump });
      queue.schedule(T0 + 3 * DAY, () => {});
      clock.advance(3 * DAY);
      expect(onClockJump).not.toHaveBeenCalled();
    });
  });

  describe('errors', () => {
    it('isolates a throwing callback: reported to onError, later entries still fire', () => {
      const { clock, queue, errors } = setupQueue();
      const boom = new Error('boom');
      const fired: string[] = [];
      queue.schedule(T0 + 1000, () => {
        throw boom;
      });
      queue.schedule(T0 + 1000, () => fired.push('same pass'));
      queue.schedule(T0 + 5000, () => fired.push('next pass'));
      expect(() => clock.advance(5000)).not.toThrow();
      expect(errors).toEqual([boom]);
      expect(fired).toEqual(['same pass', 'next pass']);
    });

    it('routes an onClockJump that throws to onError', () => {
      const boom = new Error('jump handler');
      const { clock, queue, errors } = setupQueue({
        onClockJump: () => {
          throw boom;
        },
      });
      const fn = vi.fn();
      queue.schedule(T0 + HOUR, fn);
      clock.jump(3 * HOUR);
      expect(() => clock.runDue()).not.toThrow();
      expect(errors).toEqual([boom]);
      expect(fn).toHaveBeenCalledTimes(1);
    });

    it('survives an onError that throws', () => {
      const clock = new TestClock(T0);
      const queue = new TimerQueue({
        clock,
        onError: () => {
          throw new Error('reporter broke');
        },
      });
      const fn = vi.fn();
      queue.schedule(T0 + 1, () => {
        throw new Error('x');
      });
      queue.schedule(T0 + 2, fn);
      expect(() => clock.advance(2)).not.toThrow();
      expect(fn).toHaveBeenCalledTimes(1);
    });

    it('rejects a non-numeric due time and bad options with a ValidationError naming the field', () => {
      const { queue } = setupQueue();
      expect(() => queue.schedule(Number.NaN, () => {})).toThrow(ValidationError);
      try {
        new TimerQueue({ maxWaitMs: 0 });
        expect.unreachable();
      } catch (error) {
        expect(isPlanflowError(error, 'planflow:invalid-options')).toBe(true);
        expect((error as ValidationError).field).toBe('maxWaitMs');
        expect((error as Error).message).toContain('got 0');
      }
      for (const bad of [0, 1.5, -1, Number.NaN]) {
        expect(() => new TimerQueue({ maxFiresPerWake: bad })).toThrow(/maxFiresPerWake/);
      }
    });
  });

  describe('dispose', () => {
    it('leaves no real timer and refuses new entries', () => {
      const { clock, queue } = setupQueue();
      const fn = vi.fn();
      queue.schedule(T0 + 1000, fn);
      queue.schedule(T0 + 2000, fn, 'k');
      queue.dispose();
      expect(clock.pending).toBe(0);
      expect(queue.size).toBe(0);
      expect(queue.disposed).toBe(true);
      expect(() => queue.schedule(T0 + 3000, fn)).toThrow(StateError);
      queue.clearTimeout(undefined);
      clock.advance(5000);
      expect(fn).not.toHaveBeenCalled();
    });

    it('stops firing when a callback disposes the queue mid-pass', () => {
      const { clock, queue } = setupQueue();
      const after = vi.fn();
      queue.schedule(T0 + 1000, () => queue.dispose());
      queue.schedule(T0 + 1000, after);
      clock.advance(1000);
      expect(after).not.toHaveBeenCalled();
      expect(clock.pending).toBe(0);
    });

    it('clear() empties the queue but keeps it usable', () => {
      const { clock, queue } = setupQueue();
      const fn = vi.fn();
      queue.schedule(T0 + 1000, fn);
      queue.clear();
      expect(clock.pending).toBe(0);
      queue.schedule(T0 + 2000, fn);
      clock.advance(2000);
      expect(fn).toHaveBeenCalledTimes(1);
    });
  });
});
