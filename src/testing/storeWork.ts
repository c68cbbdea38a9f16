import { PlanflowError } from '../domain/errors.js';
import { settleMacrotask } from './settle.js';

/** Calls into tracked stores that have not answered yet, in this process. */
const inFlight = new Set<Promise<unknown>>();

/** Tracked wrappers already made, so one object is wrapped once (and `leases` stays itself). */
const wrappers = new WeakMap<object, object>();

/** Rounds of "wait for the calls in flight, then a macrotask hop" one settle may take. */
const MAX_ROUNDS = 10_000;

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === 'object' || typeof value === 'function') &&
  value !== null &&
  typeof (value as { then?: unknown }).then === 'function';

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';

function count<T>(promise: PromiseLike<T>): Promise<T> {
  const tracked = Promise.resolve(promise);
  inFlight.add(tracked);
  const done = (): void => {
    inFlight.delete(tracked);
  };
  tracked.then(done, done);
  return tracked;
}

/** An async iterable whose every `next()`/`return()` counts as a call in flight. */
function countIteration<T>(iterable: AsyncIterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const iterator = iterable[Symbol.asyncIterator]();
      return {
        next: (...args) => count(iterator.next(...args)),
        return: (value) =>
          iterator.return === undefined
            ? Promise.resolve({ done: true, value: value as T })
            : count(iterator.return(value)),
      };
    },
  };
}

/**
 * Wraps a store (or any object whose methods do real I/O) so that every call into it counts
 * as store work in flight until it answers: a method's returned promise, each step of an
 * async iterable it returns (`read`), and the same for the methods of an object property
 * (`leases`). Everything else passes straight through, on the store itself. While a tracked
 * call is in flight, {@link settleStoreWork} — what a `TestClock` settles with unless given
 * its own `settle` — keeps waiting.
 *
 * A memory or SQLite store needs none of it: their calls answer within the macrotask hop a
 * settle takes anyway. A PostgreSQL store's calls wait for a round trip to the server, so a
 * test that drives a scheduler on it with `advanceAsync` tracks it.
 *
 * @example
 * const clock = new TestClock(T0);
 * const store = trackStoreWork(await postgresStore({ connectionString, schema, clock }));
 * const scheduler = createScheduler({ clock, store, handlers });
 * await clock.advanceAsync(60_000); // returns once the scheduler's appends have answered
 */
export function trackStoreWork<S extends object>(store: S): S {
  const existing = wrappers.get(store);
  if (existing !== undefined) return existing as S;
  // Keyed by the function, so a method replaced on the store is wrapped afresh.
  const methods = new WeakMap<(...args: unknown[]) => unknown, unknown>();
  const wrapper = new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value === 'function') {
        const fn = value as (...args: unknown[]) => unknown;
        let method = methods.get(fn);
        if (method === undefined) {
          method = (...args: unknown[]): unknown => {
            const result: unknown = Reflect.apply(fn, target, args);
            if (isThenable(result)) return count(result);
            if (isAsyncIterable(result)) return countIteration(result);
            return result;
          };
          methods.set(fn, method);
        }
        return method;
      }
      if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
        return trackStoreWork(value);
      }
      return value;
    },
  });
  wrappers.set(store, wrapper);
  wrappers.set(wrapper, wrapper);
  return wrapper;
}

/**
 * Resolves once every promise chain already queued has run and no call into a store wrapped
 * by {@link trackStoreWork} is in flight: a macrotask hop, then, while tracked calls are
 * outstanding, waits for them to answer and hops again, until a hop ends with none in
 * flight. With no tracked store it is exactly {@link settleMacrotask}. It never sleeps on a
 * real timer; a tracked call that never answers keeps it waiting (the test's timeout says
 * so), and store work that is still restarting itself after 10 000 rounds fails it.
 */
export async function settleStoreWork(): Promise<void> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    await settleMacrotask();
    if (inFlight.size === 0) return;
    await Promise.allSettled([...inFlight]);
  }
  throw new PlanflowError(
    'planflow:invalid-state',
    `settleStoreWork: store calls were still in flight after ${MAX_ROUNDS} rounds of waiting for them; something keeps calling the store without time moving (a retry loop off the clock?) — find what calls it, or settle with a condition of your own`,
  );
}
