/**
 * At most one execution of a handler per idempotency key at a time, in one scheduler.
 *
 * A run ends at its timeout even when the handler ignores its signal: the failure is recorded
 * at once and the retry (same key) is planned. The handler itself may still be executing —
 * the run is *abandoned*, not stopped. The gate holds each key from the moment its handler is
 * called until the handler's own promise settles, so the retry waits for the abandoned
 * execution instead of overlapping it.
 *
 * Memory: one entry per key while its handler executes, with one settle callback on the
 * handler's promise. Waiters sit in the entry's own set and leave it when their signal
 * aborts, so nothing is attached to a promise that never settles beyond that one callback:
 * a handler that never settles costs its entry and the one run waiting behind it (its
 * retry), never more per retry, because that retry records no outcome and so plans no
 * further retry.
 */
export class RunGate {
  readonly #held = new Map<string, Held>();

  /** Keys whose handler is executing now (abandoned ones included). */
  get size(): number {
    return this.#held.size;
  }

  /** True while a handler holding `key` has not settled. */
  isHeld(key: string): boolean {
    return this.#held.has(key);
  }

  /** How many runs wait for `key` to be released now. */
  waitingFor(key: string): number {
    return this.#held.get(key)?.waiters.size ?? 0;
  }

  /**
   * Calls `start` and holds `key` until the promise it returns settles — unless `key` is
   * held, in which case nothing is called and `undefined` is returned. Checking and holding
   * happen in one synchronous step, so two callers can never both start.
   */
  tryHold<T>(key: string, start: () => Promise<T>): Promise<T> | undefined {
    if (this.#held.has(key)) return undefined;
    const execution = start();
    const held: Held = { waiters: new Set() };
    this.#held.set(key, held);
    const release = () => {
      if (this.#held.get(key) === held) this.#held.delete(key);
      for (const wake of held.waiters) wake(true);
      held.waiters.clear();
    };
    execution.then(release, release);
    return execution;
  }

  /**
   * Resolves `true` once the execution now holding `key` settles (at once when none does),
   * or `false` as soon as `signal` aborts. Another waiter may take the key first: call
   * {@link tryHold} again and wait again if it answers `undefined`.
   */
  released(key: string, signal: AbortSignal): Promise<boolean> {
    const held = this.#held.get(key);
    if (held === undefined) return Promise.resolve(true);
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = (free: boolean) => {
        held.waiters.delete(wake);
        signal.removeEventListener('abort', onAbort);
        resolve(free);
      };
      const onAbort = () => wake(false);
      held.waiters.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

type Held = { readonly waiters: Set<(free: boolean) => void> };
