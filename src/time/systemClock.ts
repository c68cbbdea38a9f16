import type { Clock } from './Clock.js';

/**
 * The real wall clock and the host's timers: the default underlying clock of a
 * `TimerQueue`.
 *
 * Every call looks up `Date.now`, `performance.now`, `setTimeout` and `clearTimeout` on `globalThis` at call
 * time rather than capturing them at import, so `@sinonjs/fake-timers` installed after this
 * module was loaded (the usual order in a test file) still drives it.
 *
 * It is deliberately raw: a wait above 2^31-1 ms (24.8 days) overflows and fires at once,
 * exactly as the host's `setTimeout` does. Never hand it straight to XState for long `after`
 * delays; wrap it in a `TimerQueue`, which caps each wait and re-reads the wall clock.
 *
 * @example
 * const queue = new TimerQueue({ clock: systemClock });
 */
export const systemClock: Clock = Object.freeze({
  now: (): number => Date.now(),
  // The clock libuv's timers count: it never jumps, and stops while the machine sleeps.
  monotonic: (): number => globalThis.performance.now(),
  setTimeout: (callback: () => void, delayMs: number): unknown =>
    globalThis.setTimeout(callback, delayMs),
  clearTimeout: (handle: unknown): void => {
    globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]);
  },
});
