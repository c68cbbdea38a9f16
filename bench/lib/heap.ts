import { getHeapStatistics } from 'node:v8';

type Gc = (options?: { type: 'major'; execution: 'sync' }) => void;

/**
 * Used heap in bytes after full garbage collections, so a before/after difference counts only
 * what is still reachable. Needs `node --expose-gc` (the harness always passes it); without
 * it the figure would include garbage, so this refuses rather than report a wrong number.
 */
export function settledHeapBytes(): number {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (gc === undefined) {
    throw new Error(
      'bench: heap figures need `node --expose-gc`; run the scenario through bench/run.ts',
    );
  }
  // Several passes: weak references and finalizers released by one pass free more in the next.
  for (let i = 0; i < 4; i++) gc();
  return getHeapStatistics().used_heap_size;
}

/** Lets pending promise jobs and I/O callbacks run, so their garbage becomes collectable. */
export function drainEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
