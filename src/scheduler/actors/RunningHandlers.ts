import { setMaxListeners } from 'node:events';
import { overlapCancelledError } from '../../domain/overlapCancelled.js';
import type { Occurrence, RunOutcome, Task } from '../../domain/types.js';
import type { TimerQueue } from '../../time/TimerQueue.js';
import { type Handlers, invokeHandler } from '../handlers.js';
import { RunGate } from './RunGate.js';
import type { RunPlaces } from './RunPlaces.js';

/**
 * The handler runs in flight, outside the command queue: it starts each run (looking its
 * handler up by name), keeps it until it settles so that `stop()` can wait for it, and
 * aborts them all through one signal when the wait runs out.
 */
export class RunningHandlers {
  readonly #handlers: Handlers;
  readonly #timers: TimerQueue;
  readonly #runs = new Set<Promise<RunOutcome>>();
  /** One handler execution per idempotency key at a time (a timed-out run may still be going). */
  readonly #gate = new RunGate();
  /**
   * The signal of the runs started since the last abort: aborted by `stop()` once its wait
   * for running handlers runs out, or by {@link abortRunning}; replaced after the latter, so
   * later runs start with a live signal.
   */
  #stop = RunningHandlers.#controller();
  /** The places `concurrency` and each task's `maxConcurrent` allow. */
  readonly #places: RunPlaces | undefined;
  /** Runs of `overlap: 'cancelOther'` tasks in flight, by task, to abort when a newer starts. */
  readonly #cancellable = new Map<string, Map<string, AbortController>>();

  constructor(handlers: Handlers, timers: TimerQueue, places?: RunPlaces) {
    this.#handlers = handlers;
    this.#timers = timers;
    this.#places = places;
  }

  static #controller(): AbortController {
    const controller = new AbortController();
    // Every running handler listens on the stop signal; thousands may run at once.
    setMaxListeners(0, controller.signal);
    return controller;
  }

  /**
   * Aborts the signal of every run in flight with `reason` (they settle as their handlers
   * decide, typically failed); runs started afterwards get a new signal. Used when this
   * scheduler loses its lease: another instance may record these runs interrupted and retry
   * them with the same key, so their handlers are told to stop.
   */
  abortRunning(reason: unknown): void {
    if (this.#runs.size === 0) return;
    const stopped = this.#stop;
    this.#stop = RunningHandlers.#controller();
    stopped.abort(reason);
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
      const [signal, forget] =
        task.overlap === 'cancelOther'
          ? this.#cancelOthers(occurrence, task)
          : [this.#stop.signal, undefined];
      running = invokeHandler(handler, occurrence, {
        clock: this.#timers,
        task,
        attempt: occurrence.attempt,
        idempotencyKey,
        signal,
        gate: this.#gate,
        ...(this.#places === undefined ? {} : { places: this.#places }),
      });
      if (forget !== undefined) running.then(forget, forget);
    }
    this.#runs.add(running);
    const forget = () => {
      this.#runs.delete(running);
    };
    running.then(forget, forget);
    return running;
  }

  /**
   * `overlap: 'cancelOther'`: aborts the task's runs in flight (each fails with an
   * `OverlapCancelledError` naming this run) and returns the signal of this one, aborted by the
   * scheduler's stop or by the next run of its task, with the function that forgets it once it
   * settles. A manual run cancels nothing and cannot be cancelled.
   */
  #cancelOthers(occurrence: Occurrence, task: Task): [AbortSignal, () => void] {
    if (occurrence.cause === 'manual') return [this.#stop.signal, () => {}];
    let runs = this.#cancellable.get(task.id);
    if (runs === undefined) {
      runs = new Map();
      this.#cancellable.set(task.id, runs);
    }
    const slot = occurrence.slot ?? occurrence.scheduledFor;
    for (const other of runs.values()) other.abort(overlapCancelledError(occurrence.id, slot));
    runs.clear();
    const own = new AbortController();
    runs.set(occurrence.id, own);
    const forget = () => {
      if (runs.get(occurrence.id) === own) runs.delete(occurrence.id);
      if (runs.size === 0 && this.#cancellable.get(task.id) === runs) {
        this.#cancellable.delete(task.id);
      }
    };
    return [AbortSignal.any([this.#stop.signal, own.signal]), forget];
  }

  /**
   * Waits up to `timeoutMs` for the runs in flight, then aborts the rest (they settle as
   * failed with an `AbortError`) and waits for them to settle.
   */
  async drain(timeoutMs: number): Promise<void> {
    if (this.#runs.size === 0) return;
    await waitOrTimeout([...this.#runs], this.#timers, timeoutMs);
    this.#stop.abort();
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
