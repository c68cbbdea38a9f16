import type { TimerHandle, TimerQueue } from '../time/TimerQueue.js';

export type LiveWindowOptions = Readonly<{
  timers: TimerQueue;
  /** How far ahead the live set reaches (`liveWindowMs`); `Infinity`: no window. */
  windowMs: number;
  /** Queues the command that widens the window (`widenWindow`). */
  onDue: () => void;
}>;

/**
 * The clock of the live window: waiting occurrences due more than `windowMs` ahead stay in
 * the store (docs/architecture.md, "The live window"), and once half of the window has passed
 * it is widened to `windowMs` ahead again, so what it takes in has half a window to be armed
 * before it is due. One timer-queue entry; this class decides nothing itself.
 */
export class LiveWindow {
  readonly windowMs: number;
  readonly #timers: TimerQueue;
  readonly #onDue: () => void;
  #timer: TimerHandle | undefined;

  constructor(options: LiveWindowOptions) {
    this.windowMs = options.windowMs;
    this.#timers = options.timers;
    this.#onDue = options.onDue;
  }

  /** Where a window opened or widened now ends (`Infinity` without a window). */
  endFrom(nowMs: number): number {
    return nowMs + this.windowMs;
  }

  /** True when a window ending at `endMs` should be widened at `nowMs`. */
  isDue(endMs: number, nowMs: number): boolean {
    return endMs !== Number.POSITIVE_INFINITY && nowMs >= this.#dueAt(endMs);
  }

  /** Sets the timer for a window ending at `endMs` (none for `Infinity`). */
  arm(endMs: number): void {
    if (this.#timer !== undefined) this.#timers.cancel(this.#timer);
    this.#timer = undefined;
    if (endMs === Number.POSITIVE_INFINITY) return;
    this.#timer = this.#timers.schedule(this.#dueAt(endMs), () => {
      this.#timer = undefined;
      this.#onDue();
    });
  }

  #dueAt(endMs: number): number {
    return endMs - this.windowMs / 2;
  }
}
