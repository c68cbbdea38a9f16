import { StorageError } from '../../src/domain/errors.js';
import type { EventStore } from '../../src/log/EventStore.js';
import { forwardStore } from './forwardStore.js';

/** A store that refuses its next appends on demand, counting what it refused. */
export type FailingStore = EventStore & {
  /** Makes the next `n` appends fail with a transient `StorageError` (`storage-full`). */
  failNext(n: number): void;
  /** Appends refused so far. */
  readonly refused: number;
};

/**
 * Wraps a real store so that a test can make its next N appends fail as a full disk does.
 * The wrapper only throws before delegating: a refused append never reaches `inner`, so the
 * log underneath holds exactly what was accepted, and every other call goes straight to it.
 */
export function failingStore(inner: EventStore): FailingStore {
  let remaining = 0;
  let refused = 0;
  return {
    ...forwardStore(inner),
    failNext(n) {
      remaining = n;
    },
    get refused() {
      return refused;
    },
    append(events, options) {
      if (remaining > 0) {
        remaining--;
        refused++;
        return Promise.reject(
          new StorageError('planflow:storage-full', 'failingStore: the disk is full (simulated)', {
            path: ':memory:',
          }),
        );
      }
      return inner.append(events, options);
    },
  };
}
