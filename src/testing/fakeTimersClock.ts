import type { Clock } from '../time/Clock.js';

/**
 * The parts of an `@sinonjs/fake-timers` clock this adapter uses (typed structurally so the
 * library is not a runtime dependency of PlanFlow).
 */
export type FakeTimersLike = {
  readonly now: number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: never): void;
};

/**
 * Wraps a `@sinonjs/fake-timers` clock as a PlanFlow {@link Clock}, for tests that create a
 * private fake clock with `FakeTimers.createClock()` instead of faking the globals.
 *
 * When the globals ARE faked (`FakeTimers.install({ toFake: ['Date', 'setTimeout',
 * 'clearTimeout'] })`), nothing is needed: `systemClock` looks the globals up on every call,
 * so it already runs on the fake clock.
 *
 * @example
 * const fake = FakeTimers.createClock(Date.parse('2026-03-02T08:00:00Z'));
 * const queue = new TimerQueue({ clock: fakeTimersClock(fake) });
 * fake.tick(60_000);
 */
export function fakeTimersClock(fake: FakeTimersLike): Clock {
  return Object.freeze({
    now: (): number => fake.now,
    setTimeout: (callback: () => void, delayMs: number): unknown =>
      fake.setTimeout(callback, delayMs),
    clearTimeout: (handle: unknown): void => {
      fake.clearTimeout(handle as never);
    },
  });
}
