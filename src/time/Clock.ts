/**
 * The scheduler's time source. `now()` is the wall clock in epoch milliseconds; the timer
 * methods have the shape XState's `clock` option expects, so one object drives both our
 * timer queue and XState's `after` delays.
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}
