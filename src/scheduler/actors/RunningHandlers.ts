import { overlapCancelledError } from '../../domain/overlapCancelled.js';
import type { Occurrence, RunOutcome, Task } from '../../domain/types.js';
import type { TimerQueue } from '../../time/TimerQueue.js';
import { type Handlers, invokeHandler } from '../handlers.js';
import { RunGate } from './RunGate.js';
import type { RunPlaces } from './RunPlaces.js';
import { RunSignal } from './RunSignal.js';

/**
 * The handler runs in flight, outside the command queue: it starts each run (looking its
 * handler up by name), keeps it until it settles so that `stop()` can wait for it, and
 * aborts each through its own signal when the wait runs out (or the lease is lost).
 */
export class RunningHandlers {
  readonly #handlers: Handlers;
  readonly #timers: TimerQueue;
  readonly #runs = new Set<Promise<RunOutcome>>();
  /** One handler execution per idempotency key at a time (a timed-out run may still be going). */
  readonly #gate = new RunGate();
  /**
   * The signal of each run in flight, its own: aborting them one by one costs one call each,
   * where thousands of runs listening on one shared signal made every new listener walk the
   * ones before it (an abort listener per run is a linear add on an `AbortSignal`: 20 % of
   * an instance's profile with 30 000 runs in flight). A {@link RunSignal} makes the real
   * `AbortSignal` only for a waiter or a handler that reads it.
   */
  readonly #signals = new Set<RunSignal>();
  /** Set once `stop()`'s wait ran out: runs started afterwards start aborted. */
  #stopped = false;
  /** The places `concurrency` and each task's `maxConcurrent` allow. */
  readonly #places: RunPlaces | undefined;
  /** Runs of `overlap: 'cancelOther'` tasks in flight, by task, to abort when a newer starts. */
  readonly #cancellable = new Map<string, Map<string, RunSignal>>();

  constructor(handlers: Handlers, timers: TimerQueue, places?: RunPlaces) {
    this.#handlers = handlers;
    this.#timers = timers;
    this.#places = places;
  }

  /**
   * Aborts the signal of every run in flight with `reason` (they settle as their handlers
   * decide, typically failed); runs started afterwards get a live signal. Used when this
   * scheduler loses its lease: another instance may record these runs interrupted and retry
   * them with the same key, so their handlers are told to stop.
   */
  abortRunning(reason: unknown): void {
    for (const controller of [...this.#signals]) controller.abort(reason);
  }

  get size(): number {
    return this.#runs.size;
  }

  /**
   * Runs the task's handler for a triggered occurrence; never rejects. A task without a
   * handler (a plain reminder) or a removed task completes at once; a handler name that is
   * not registered fails the run with a message saying how to fix it.
   */
  run(occurrence: Occurrence, task: Task | undefined, idempotencyKey: string): Promise<RunOutcome> {
    const name = task?.handler;
    const handler = name === undefined ? undefined : this.#handlers[name];
    let running: Promise<RunOutcome>;
    let forgetSignal: (() => void) | undefined;
    if (task === undefined || name === undefined) {
      running = Promise.resolve({ ok: true, durationMs: 0 });
    } else if (handler === undefined) {
      running = Promise.resolve({
        ok: false,
        durationMs: 0,
        error: {
          name: 'NotFoundError',
          message: `no handler named "${name}" is registered; pass it in options.handlers`,
        },
      });
    } else {
      const own = new RunSignal();
      if (this.#stopped) own.abort();
      this.#signals.add(own);
      const forgetCancellable =
        task.overlap === 'cancelOther' ? this.#cancelOthers(occurrence, task, own) : undefined;
      running = invokeHandler(handler, occurrence, {
        clock: this.#timers,
        task,
        attempt: occurrence.attempt,
        idempotencyKey,
        signal: own,
        gate: this.#gate,
        places: this.#places,
      });
      forgetSignal = () => {
        this.#signals.delete(own);
        forgetCancellable?.();
      };
    }
    this.#runs.add(running);
    // One reaction and one closure per run: each counts when thousands start in a burst.
    const settled = () => {
      this.#runs.delete(running);
      forgetSignal?.();
    };
    void running.then(settled, settled);
    return running;
  }

  /**
   * `overlap: 'cancelOther'`: aborts the task's runs in flight (each fails with an
   * `OverlapCancelledError` naming this run) and keeps this one's signal (`own`, also aborted
   * by the scheduler's stop) to abort when the next run of its task starts; returns the
   * function that forgets it once it settles. A manual run cancels nothing and cannot be
   * cancelled.
   */
  #cancelOthers(occurrence: Occurrence, task: Task, own: RunSignal): () => void {
    if (occurrence.cause === 'manual') return () => {};
    let runs = this.#cancellable.get(task.id);
    if (runs === undefined) {
      runs = new Map();
      this.#cancellable.set(task.id, runs);
    }
    const slot = occurrence.slot ?? occurrence.scheduledFor;
    for (const other of runs.values()) other.abort(overlapCancelledError(occurrence.id, slot));
    runs.clear();
    runs.set(occurrence.id, own);
    return () => {
      if (runs.get(occurrence.id) === own) runs.delete(occurrence.id);
      if (runs.size === 0 && this.#cancellable.get(task.id) === runs) {
        this.#cancellable.delete(task.id);
      }
    };
  }

  /**
   * Waits up to `timeoutMs` for the runs in flight, then aborts the rest (they settle as
   * failed with an `AbortError`) and waits for them to settle.
   */
  async drain(timeoutMs: number): Promise<void> {
    if (this.#runs.size === 0) return;
    await waitOrTimeout([...this.#runs], this.#timers, timeoutMs);
    this.#stopped = true;
    for (const controller of [...this.#signals]) controller.abort();
    await Promise.allSettled([...this.#runs]);
  }
}

/** Waits for `promises` or until `timeoutMs` passes on `clock`, whichever comes first. */
function waitOrTimeout(
  promises: readonly Promise<unknown>[],
  clock: TimerQueue,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(resolve, timeoutMs);
    void Promise.allSettled(promises).then(() => {
      clock.clearTimeout(timer);
      resolve();
    });
  });
}
