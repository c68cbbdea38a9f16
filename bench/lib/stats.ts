/**
 * Order statistics for benchmark samples. Medians across rounds damp the noise of a shared
 * two-core machine better than means; percentiles use nearest-rank so p99 of 10 000 samples
 * is an actual observed value, never an interpolation.
 */

/** The median of `values` (mean of the two middle ones for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

/**
 * Nearest-rank percentile `p` (0–100) of an already sorted array; NaN when empty. Takes a
 * typed array so 10 000 lateness samples are sorted without boxing.
 */
export function percentileOfSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** p50, p99, max and mean of a sample of lateness (or any latency) in ms. */
export function latencySummary(samples: Float64Array): Readonly<{
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}> {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    p50Ms: percentileOfSorted(sorted, 50),
    p99Ms: percentileOfSorted(sorted, 99),
    maxMs: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
    meanMs: sorted.length === 0 ? Number.NaN : sum / sorted.length,
  };
}
