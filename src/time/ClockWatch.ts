import type { Clock } from './Clock.js';
import type { ClockJump } from './timerQueueOptions.js';

/** Both clocks read when a host timer was armed, and the wait it was armed for. */
export type ClockMark = Readonly<{ wall: number; mono: number | undefined; waitMs: number }>;

/** Untrustworthy monotonic readings in a row after which the watch stops relying on them. */
const STRIKES = 3;

/**
 * Tells, when a host timer fires, whether the wall clock moved by more than the time that
 * passed. Host timers count monotonic time, so with the clock's `monotonic()` the answer is
 * the wall clock's advance minus the monotonic advance since the timer was armed: a sleep on
 * Linux or macOS (the monotonic clock stops) or a clock set forward or back shows as that
 * difference, while an event-loop stall, a late timer or a slow callback moves both clocks
 * alike and shows as nothing. Without `monotonic()` it falls back to comparing the wall
 * clock with the time the timer was due, which cannot tell a stall from a sleep.
 *
 * A monotonic clock that advanced less than half the timer's wait was not the clock the
 * timer counted (fake timers that fake `Date` and `setTimeout` but not `performance`): that
 * reading is not used, and after {@link STRIKES} in a row the watch stops asking.
 */
export class ClockWatch {
  readonly #clock: Clock;
  readonly #thresholdMs: number;
  #strikes = 0;

  constructor(clock: Clock, thresholdMs: number) {
    this.#clock = clock;
    this.#thresholdMs = thresholdMs;
  }

  /** True while the monotonic clock is there and has followed the host's timers. */
  get monotonicUsable(): boolean {
    return this.#clock.monotonic !== undefined && this.#strikes < STRIKES;
  }

  /** Reads both clocks as a timer of `waitMs` is armed. */
  mark(waitMs: number): ClockMark {
    return { wall: this.#clock.now(), mono: this.#readMonotonic(), waitMs };
  }

  /**
   * What the wall clock did since `mark`, read at `wall`: a {@link ClockJump} when it moved
   * more than the threshold away from the time that passed, else `undefined`. With
   * `requireMonotonic`, a reading that has no trustworthy monotonic time says nothing (the
   * periodic check leaves those to the capped wait's own check).
   */
  observe(mark: ClockMark, wall: number, requireMonotonic = false): ClockJump | undefined {
    const elapsedWall = wall - mark.wall;
    const mono = mark.mono === undefined ? undefined : this.#readMonotonic();
    let driftMs: number;
    if (mono !== undefined && mark.mono !== undefined && this.#trust(mono - mark.mono, mark)) {
      driftMs = elapsedWall - (mono - mark.mono);
    } else if (requireMonotonic) {
      return undefined;
    } else {
      driftMs = elapsedWall - mark.waitMs;
    }
    if (Math.abs(driftMs) <= this.#thresholdMs) return undefined;
    return { expectedAt: wall - driftMs, observedAt: wall, driftMs };
  }

  #readMonotonic(): number | undefined {
    return this.monotonicUsable ? this.#clock.monotonic?.() : undefined;
  }

  #trust(elapsedMono: number, mark: ClockMark): boolean {
    if (elapsedMono * 2 >= mark.waitMs) {
      this.#strikes = 0;
      return true;
    }
    this.#strikes += 1;
    return false;
  }
}
