/** How due times are handed to a subject: in time order, or as a seeded random permutation. */
export type DueOrder = 'ascending' | 'shuffled';

/** A small deterministic PRNG (mulberry32): same seed, same shuffle in every process. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `n` whole-millisecond due times spread evenly over `[startMs, startMs + spanMs)`, in the
 * requested order. Every subject of one run gets exactly this array, so the only difference
 * between subjects is the scheduler.
 */
export function dueTimes(
  n: number,
  startMs: number,
  spanMs: number,
  order: DueOrder,
  seed = 42,
): Float64Array {
  const dues = new Float64Array(n);
  for (let i = 0; i < n; i++) dues[i] = Math.floor(startMs + (i * spanMs) / n);
  if (order === 'shuffled') {
    const random = seededRandom(seed);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const t = dues[i]!;
      dues[i] = dues[j]!;
      dues[j] = t;
    }
  }
  return dues;
}
