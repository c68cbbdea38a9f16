import { PlanflowError, StorageError } from '../domain/errors.js';
import type { TimerHandle, TimerQueue } from '../time/TimerQueue.js';

/** The first retry of a store that refused a write comes this long after the failure (default). */
export const WRITE_RETRY_INITIAL_MS = 100;
/** Retries of a store that keeps refusing writes double their wait up to this (default). */
export const WRITE_RETRY_MAX_MS = 30_000;

/**
 * True when a rejected append is the store's fault rather than a decision: a
 * {@link StorageError} (full disk, I/O, lost connection, read-only file), or anything that is
 * not a `PlanflowError` at all (a raw driver error, a bug in a store). A `ConcurrencyError`
 * (another writer, an occurrence already triggered), a `ValidationError` or a `StateError`
 * is an answer, not a fault: retrying would get the same answer.
 */
export function isWriteFault(error: unknown): boolean {
  return error instanceof StorageError || !(error instanceof PlanflowError);
}

/** A degraded period while it lasts: since when, how many appends failed, the last error. */
export type OpenPeriod = Readonly<{ sinceMs: number; failures: number; lastError: unknown }>;

/**
 * What the scheduler knows about its store refusing writes: the open degraded period (from
 * the first failed append until one succeeds again) and the probe that retries the store
 * with exponential backoff — `retry.initialMs`, doubling, at most `retry.maxMs` (the
 * `writeRetry` option; {@link WRITE_RETRY_INITIAL_MS} and {@link WRITE_RETRY_MAX_MS} by
 * default). The probe itself is a command (`probeStore`); this part only
 * keeps the timer and the counts, so the decisions stay in the command queue.
 */
export class WriteFaults {
  readonly #timers: TimerQueue;
  readonly #probe: () => void;
  readonly #retry: Readonly<{ initialMs: number; maxMs: number }>;
  #period: { sinceMs: number; failures: number; lastError: unknown } | undefined;
  #delayMs: number;
  #timer: TimerHandle | undefined;

  /** `probe` queues the probe command; it runs when a probe's backoff has passed. */
  constructor(
    options: Readonly<{
      timers: TimerQueue;
      probe: () => void;
      retry: Readonly<{ initialMs: number; maxMs: number }>;
    }>,
  ) {
    this.#timers = options.timers;
    this.#probe = options.probe;
    this.#retry = options.retry;
    this.#delayMs = options.retry.initialMs;
  }

  /** How the store is retried while degraded (the `writeRetry` option). */
  get retry(): Readonly<{ initialMs: number; maxMs: number }> {
    return this.#retry;
  }

  /** The open period, if the store refused a write that no write has made good since. */
  get period(): OpenPeriod | undefined {
    return this.#period;
  }

  /**
   * Counts a failed append into the open period, opening one first when `open` is set (the
   * scheduler was running healthy). Returns whether the failure belongs to a period — then it
   * is reported as that period, not on its own.
   */
  noteFailure(error: unknown, open: boolean): boolean {
    if (this.#period === undefined) {
      if (!open) return false;
      this.#period = { sinceMs: this.#timers.now(), failures: 0, lastError: error };
    }
    this.#period.failures++;
    this.#period.lastError = error;
    return true;
  }

  /** Ends the open period (a write succeeded) and resets the backoff. */
  close(): void {
    this.#period = undefined;
    this.#delayMs = this.#retry.initialMs;
    this.stopProbing();
  }

  /** Arms the next probe after the current backoff, which then doubles (up to the cap). */
  armProbe(): void {
    this.stopProbing();
    const delayMs = this.#delayMs;
    this.#delayMs = Math.min(delayMs * 2, this.#retry.maxMs);
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#probe();
    }, delayMs);
  }

  /** Cancels a probe not yet run (the scheduler paused, stopped or started again). */
  stopProbing(): void {
    if (this.#timer === undefined) return;
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
