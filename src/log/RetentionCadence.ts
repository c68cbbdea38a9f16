import type { ResolvedRetention } from './retentionOptions.js';

/**
 * When a store with a `retention` option archives on its own: once on open, then at the
 * first commit after `every.entries` entries or `every.ms` (store clock) since the last run
 * started. One run at a time; a commit while one runs starts none.
 */
export class RetentionCadence {
  readonly #everyEntries: number;
  readonly #everyMs: number;
  #lastSeq = 0;
  #lastMs = Number.NEGATIVE_INFINITY;
  #running = false;

  constructor(retention: ResolvedRetention) {
    this.#everyEntries = retention.everyEntries;
    this.#everyMs = retention.everyMs;
  }

  /** Whether a run should start now, the head being at `headSeq`. */
  due(headSeq: number, nowMs: number): boolean {
    if (this.#running) return false;
    return headSeq - this.#lastSeq >= this.#everyEntries || nowMs - this.#lastMs >= this.#everyMs;
  }

  /** A run starts now, at head `headSeq`. */
  started(headSeq: number, nowMs: number): void {
    this.#running = true;
    this.#lastSeq = headSeq;
    this.#lastMs = nowMs;
  }

  /** The run ended (recorded, found nothing to move, or failed). */
  finished(): void {
    this.#running = false;
  }
}
