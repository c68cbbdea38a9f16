/**
 * The scheduler's time source. `now()` is the wall clock in epoch milliseconds; the timer
 * methods have the shape XState's `clock` option expects, so one object drives both our
 * timer queue and XState's `after` delays.
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
  /**
   * Optional monotonic reading in ms from an arbitrary origin: the clock the host's timers
   * count (`performance.now()` for `systemClock`). Never set, never jumps; on Linux and macOS
   * it stops while the machine sleeps. With it, a `TimerQueue` tells a wall-clock jump (sleep,
   * a clock set forward or back: the wall clock moved and this did not) from an event-loop
   * stall (both moved together), and checks for one every second.
   */
  monotonic?(): number;
}
