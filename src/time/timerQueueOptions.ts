import { ValidationError } from '../domain/errors.js';
import { type OptionKeys, readOptions } from '../domain/validateOptions.js';
import { describeValue } from '../domain/validationFailure.js';
import type { Clock } from './Clock.js';
import { systemClock } from './systemClock.js';

/** The largest delay the host's `setTimeout` honours (a signed 32-bit int of ms, ~24.8 days). */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * What a wake-up observed when the wall clock disagreed with the time that passed: the
 * machine slept or was suspended (`driftMs > 0`), or the clock was set back (`driftMs < 0`).
 */
export type ClockJump = Readonly<{
  /**
   * Wall-clock time (epoch ms) the queue expected to read: the last reading plus the
   * monotonic time elapsed since, or (without a monotonic clock) the time its real timer was
   * armed to wake at.
   */
  expectedAt: number;
  /** Wall-clock time (epoch ms) actually read on waking. */
  observedAt: number;
  /** `observedAt - expectedAt`. */
  driftMs: number;
}>;

export type TimerQueueOptions = Readonly<{
  /**
   * The underlying time source: its `now()` is the wall clock and its `setTimeout` carries
   * the queue's single real timer.
   * @default systemClock
   */
  clock?: Clock;
  /**
   * Longest single real wait. Capping the wait keeps delays above 2^31-1 ms exact and bounds
   * how long a clock jump (sleep, suspension, manual change) goes unnoticed.
   * @default 60_000
   */
  maxWaitMs?: number;
  /**
   * A wall clock that moved this many ms more (or less) than the time that passed is
   * reported to `onClockJump`. With a monotonic clock that is the wall clock against it, so
   * an event-loop stall (both move together) is not a jump; without one, a wake-up this late
   * or early.
   * @default 2_000
   */
  jumpThresholdMs?: number;
  /**
   * How often, while entries are pending and the clock has `monotonic()`, the queue compares
   * the wall clock with the monotonic one, so a wake from sleep (or a clock set back) is
   * noticed within this long instead of at the next capped wait (`maxWaitMs`). The check is
   * an `unref`ed host timer and two clock readings. It switches itself off when the host's
   * timers run ahead of the monotonic clock (fake timers that do not fake `performance`),
   * leaving the capped wait's check. `0` turns it off.
   * @default 1_000
   */
  clockCheckMs?: number;
  /**
   * Called (before the due entries fire) when a wake-up observes a clock jump. The scheduler
   * runs its missed-occurrence check from here.
   */
  onClockJump?: (jump: ClockJump) => void;
  /**
   * Most entries one wake-up fires. When more are due (a burst at one instant), the rest
   * fire on the following wake-ups, each a zero-length wait, in the same order; in between,
   * the event loop runs the promises, I/O and other timers the fired callbacks started. So a
   * burst of 10 000 never holds the loop for the whole burst, and the first of them get on
   * (claim, run) while the rest wait their turn.
   * @default 256
   */
  maxFiresPerWake?: number;
  /**
   * Receives anything a timer callback or `onClockJump` threw. Errors never escape the real
   * timer callback (an escaping error would crash the host); without `onError` they are
   * dropped, so pass one.
   */
  onError?: (error: unknown) => void;
  /**
   * When false the real timer is `unref()`ed (if the clock's handle supports it), so pending
   * entries alone do not keep the process alive. The default keeps a running scheduler's
   * process alive, like any pending `setTimeout`; `dispose()` always releases it.
   * @default true
   */
  keepAlive?: boolean;
}>;

/** {@link TimerQueueOptions} with every default filled in. */
export type ResolvedTimerQueueOptions = Readonly<{
  clock: Clock;
  maxWaitMs: number;
  jumpThresholdMs: number;
  clockCheckMs: number;
  onClockJump: ((jump: ClockJump) => void) | undefined;
  maxFiresPerWake: number;
  onError: ((error: unknown) => void) | undefined;
  keepAlive: boolean;
}>;

const positiveMs = (field: string, value: unknown, fallback: number, max: number): number => {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new ValidationError(
      'planflow:invalid-options',
      field,
      `TimerQueue: ${field} must be a number of ms in (0, ${max}], got ${describeValue(value)}; omit it for the default ${fallback}`,
    );
  }
  return value;
};

const optionalFunction = <T>(field: string, value: T | undefined): T | undefined => {
  if (value !== undefined && typeof value !== 'function') {
    throw new ValidationError(
      'planflow:invalid-options',
      field,
      `TimerQueue: ${field} must be a function, got ${describeValue(value)}`,
    );
  }
  return value;
};

/** Every option, listed once: an option added to the type and not here does not compile. */
const KEYS: OptionKeys<TimerQueueOptions> = {
  clock: true,
  maxWaitMs: true,
  jumpThresholdMs: true,
  clockCheckMs: true,
  onClockJump: true,
  maxFiresPerWake: true,
  onError: true,
  keepAlive: true,
};

/**
 * Fills defaults and checks types, ranges and keys; returns a new frozen object and never
 * mutates the caller's. `null`, a non-object and an unknown key (with a did-you-mean) are
 * refused.
 */
export function resolveTimerQueueOptions(input: unknown = {}): ResolvedTimerQueueOptions {
  const options = readOptions('TimerQueue', input, KEYS) as TimerQueueOptions;
  const clock = options.clock ?? systemClock;
  if (
    typeof clock !== 'object' ||
    clock === null ||
    typeof clock.now !== 'function' ||
    typeof clock.setTimeout !== 'function' ||
    typeof clock.clearTimeout !== 'function' ||
    (clock.monotonic !== undefined && typeof clock.monotonic !== 'function')
  ) {
    throw new ValidationError(
      'planflow:invalid-options',
      'clock',
      'TimerQueue: clock must have now(), setTimeout() and clearTimeout() (and monotonic() is a function when given); pass systemClock or a TestClock',
    );
  }
  if (options.keepAlive !== undefined && typeof options.keepAlive !== 'boolean') {
    throw new ValidationError(
      'planflow:invalid-options',
      'keepAlive',
      `TimerQueue: keepAlive must be a boolean, got ${describeValue(options.keepAlive)}`,
    );
  }
  const { maxFiresPerWake = 256 } = options;
  if (
    typeof maxFiresPerWake !== 'number' ||
    !Number.isInteger(maxFiresPerWake) ||
    maxFiresPerWake < 1
  ) {
    throw new ValidationError(
      'planflow:invalid-options',
      'maxFiresPerWake',
      `TimerQueue: maxFiresPerWake must be a whole number ≥ 1, got ${describeValue(maxFiresPerWake)}; omit it for the default 256`,
    );
  }
  return Object.freeze({
    clock,
    maxWaitMs: positiveMs('maxWaitMs', options.maxWaitMs, 60_000, MAX_TIMER_DELAY_MS),
    jumpThresholdMs: positiveMs(
      'jumpThresholdMs',
      options.jumpThresholdMs,
      2_000,
      Number.MAX_SAFE_INTEGER,
    ),
    clockCheckMs:
      options.clockCheckMs === 0
        ? 0
        : positiveMs('clockCheckMs', options.clockCheckMs, 1_000, MAX_TIMER_DELAY_MS),
    onClockJump: optionalFunction('onClockJump', options.onClockJump),
    maxFiresPerWake,
    onError: optionalFunction('onError', options.onError),
    keepAlive: options.keepAlive ?? true,
  });
}
