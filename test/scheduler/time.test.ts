import FakeTimers from '@sinonjs/fake-timers';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/log/memoryStore.js';
import { createScheduler } from '../../src/scheduler/createScheduler.js';
import type { Handlers } from '../../src/scheduler/handlers.js';
import {
  at,
  DAY,
  HOUR,
  MINUTE,
  manualTask,
  oneShot,
  SECOND,
  T0,
  useHarnesses,
} from '../helpers/harness.js';
import { ofType, readAll, triggeredTwice } from '../helpers/logQueries.js';

// Long delays and machine sleep: the two ways host timers mislead a scheduler.

let fake: ReturnType<typeof FakeTimers.install> | undefined;
// Registered before useHarnesses, so it runs after the schedulers were stopped.
afterEach(() => {
  fake?.uninstall();
  fake = undefined;
});
const { setUp, track } = useHarnesses();

const FORTY_DAYS = 40 * DAY; // above 2^31-1 ms, where a host timer fires at once

describe('SmartScheduler', () => {
  describe('with a delay longer than a host timer can hold', () => {
    it('fires a 40-day delay at its time, not early (TestClock)', async () => {
      const h = setUp();
      await h.scheduler.defineTask(oneShot('far', FORTY_DAYS));
      await h.scheduler.start();
      expect(h.scheduler.armedCount).toBe(1);

      await h.clock.advanceAsync(FORTY_DAYS - 1);
      expect(h.calls).toEqual([]);
      await h.clock.advanceAsync(1);

      expect(h.calls.map((c) => c.atMs)).toEqual([T0 + FORTY_DAYS]);
      expect(ofType(await h.events(), 'scheduler.clock_jumped')).toEqual([]);
    });

    it('fires a 40-day delay at its time, not early (@sinonjs/fake-timers, system clock)', async () => {
      fake = FakeTimers.install({
        now: T0,
        toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'],
      });
      const ran: number[] = [];
      // No clock option: the scheduler runs on the (faked) system timers and Date.
      const scheduler = createScheduler<Handlers>({
        store: memoryStore(),
        handlers: { record: () => void ran.push(Date.now()) },
      });
      track(scheduler);
      await scheduler.defineTask(oneShot('far', FORTY_DAYS));
      await scheduler.start();

      await fake.tickAsync(FORTY_DAYS - 1);
      expect(ran).toEqual([]);
      await fake.tickAsync(1);

      expect(ran).toEqual([T0 + FORTY_DAYS]);
      const executions = (await scheduler.listExecutions()).items;
      expect(executions.map((e) => [e.state, e.triggeredAt])).toEqual([['done', at(FORTY_DAYS)]]);
    });
  });

  describe('after the machine slept', () => {
    it('triggers what is within grace, recovers the rest and records the clock jump', async () => {
      const h = setUp();
      await h.scheduler.defineTask(oneShot('early', 30 * MINUTE));
      await h.scheduler.defineTask({
        ...manualTask('hourly'),
        recurrence: { everyMs: HOUR, anchor: at(90 * MINUTE) },
      });
      await h.scheduler.defineTask(oneShot('edge', 2 * HOUR - 10 * SECOND));
      await h.scheduler.defineTask(oneShot('after', 3 * HOUR));
      await h.scheduler.start();

      h.clock.jump(2 * HOUR); // asleep: the wall clock moved, no timer ran
      expect(h.calls).toEqual([]);
      await h.clock.advanceAsync(0); // the overdue host timer wakes late

      const [jumped] = ofType(await h.events(), 'scheduler.clock_jumped');
      expect(jumped?.data.observedAt).toBe(at(2 * HOUR));
      expect(jumped?.data.driftMs).toBeGreaterThan(HOUR);
      const state = async (taskId: string) =>
        (await h.scheduler.listExecutions({ taskId })).items.map((e) => [
          e.cause,
          e.state,
          e.outcome,
        ]);
      expect(await state('edge')).toEqual([['initial', 'done', 'completed']]);
      expect(h.calls.map((c) => c.atMs)).toEqual([T0 + 2 * HOUR]);
      expect(await state('early')).toEqual([['initial', 'missed', 'missed']]);
      expect(await state('hourly')).toEqual([
        ['initial', 'recovered', 'missed'],
        ['recovery', 'scheduled', undefined],
      ]);

      await h.clock.advanceAsync(HOUR);
      expect(h.calls.map((c) => c.atMs - T0)).toEqual([2 * HOUR, 150 * MINUTE, 3 * HOUR]);
      expect(triggeredTwice(await h.events())).toEqual([]);
    });

    it('notices a sleep on the system clock too (@sinonjs/fake-timers setSystemTime)', async () => {
      fake = FakeTimers.install({
        now: T0,
        toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'],
      });
      const ran: string[] = [];
      const store = memoryStore();
      const scheduler = createScheduler<Handlers>({
        store,
        handlers: { record: (occ) => void ran.push(occ.taskId) },
      });
      track(scheduler);
      await scheduler.defineTask(oneShot('missed', 30 * MINUTE));
      await scheduler.defineTask(oneShot('edge', 2 * HOUR));
      await scheduler.start();
      await fake.tickAsync(50 * SECOND); // the host timer waits 60 s at most: 10 s are left

      // Host timers count monotonic time, which stops while the machine sleeps: Date moves
      // 2 h, pending timers keep their remaining wait (fake-timers' setSystemTime does the
      // same). The wake-up, 10 s later, finds the wall clock 2 h past where it expected.
      fake.setSystemTime(T0 + 2 * HOUR);
      await fake.tickAsync(10 * SECOND);

      expect(ran).toEqual(['edge']);
      const states = (await scheduler.listExecutions()).items.map((e) => [e.taskId, e.state]);
      expect(states).toEqual([
        ['missed', 'missed'],
        ['edge', 'done'],
      ]);
      const [triggered] = ofType(
        (await scheduler.history({ taskId: 'edge' })).items,
        'occurrence.triggered',
      );
      expect(triggered?.data.lateByMs).toBe(10 * SECOND);
      const [jumped] = ofType(await readAll(store), 'scheduler.clock_jumped');
      expect(jumped?.data).toMatchObject({ observedAt: at(2 * HOUR + 10 * SECOND) });
    });
  });
});
