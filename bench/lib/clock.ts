/**
 * The wall clock in epoch milliseconds with sub-millisecond resolution. Lateness is measured
 * against epoch due times, so it must be wall time; `Date.now()` alone would round every
 * sample to whole milliseconds and hide the difference between subjects at p50.
 */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}
