import { StateError, ValidationError } from '../domain/errors.js';
import type { Clock } from './Clock.js';
import { type ClockMark, ClockWatch } from './ClockWatch.js';
import { TimerEntry, TimerHeap } from './TimerHeap.js';
import {
  type ClockJump,
  type ResolvedTimerQueueOptions,
  resolveTimerQueueOptions,
  type TimerQueueOptions,
} from './timerQueueOptions.js';

/** A scheduled entry as callers see it: returned by `schedule`/`setTimeout`, given to `cancel`. */
export interface TimerHandle {
  /** Absolute due time, epoch ms. */
  readonly dueAt: number;
  /** The key it was scheduled under, if any. */
  readonly key: string | undefined;
  /** False once it fired, was cancelled, replaced or cleared. */
  readonly pending: boolean;
}

/**
 * Every timer of a scheduler in one queue ordered by absolute due time, carried by ONE real
 * timer armed for the earliest entry.
 *
 * Why not one `setTimeout` per occurrence: a host timer overflows above 2^31-1 ms and fires
 * at once, keeps counting in monotonic time while the wall clock jumps (sleep, suspension,
 * NTP), and a million of them are a million kernel-visible handles. Here each real wait is
 * capped (`maxWaitMs`), and every wake-up re-reads the wall clock, fires all entries due by
 * then in `(dueAt, insertion)` order, and re-arms. So a 40-day delay fires at its time, and a
 * wake-up that finds the wall clock moved by more than the time that passed reports a
 * {@link ClockJump} through `onClockJump` before anything fires.
 *
 * Sleep: host timers count monotonic time, which stops while the machine sleeps, so after a
 * wake the real timer still waits out the rest of its wait (up to `maxWaitMs`), while entries
 * came due on the wall clock. When the clock has `monotonic()`, a second, `unref`ed host
 * timer therefore compares the two clocks every `clockCheckMs` (1 s) while entries are
 * pending; when the wall clock moved more than the monotonic one, it wakes the queue at once.
 * An event-loop stall moves both clocks alike and is no jump: the late entries simply fire.
 * A clock set back is reported the same way (negative `driftMs`); entries keep their
 * wall-clock due times, so one that fired does not fire again when the clock passes its time
 * a second time, and the rest fire when the wall clock reaches them.
 *
 * The queue is itself a {@link Clock}: pass it to `createActor(machine, { clock: queue })`
 * and XState's `after` delays become entries (relative delays are turned into absolute due
 * times with `now()`).
 *
 * Entries scheduled while the queue is firing are never fired in that same pass, even when
 * already due: they run on the next wake-up (a zero-length wait), so a callback that keeps
 * re-scheduling itself cannot starve the event loop. Likewise one wake-up fires at most
 * `maxFiresPerWake` entries (256) and leaves the rest of a burst to the next ones, so the
 * promises and I/O the first callbacks started run in between.
 *
 * There is no pause: the scheduler's pause cancels its entries and `start` re-schedules them
 * from their absolute due times, so a paused queue would only hold stale delayed events that
 * would all fire at once on resume.
 *
 * @example
 * const queue = new TimerQueue({ onClockJump: (jump) => scheduler.checkForMissedTasks() });
 * queue.schedule(Date.parse('2026-05-01T09:00:00Z'), remind, 'occ-42');
 * const actor = createActor(occurrenceMachine, { clock: queue, input });
 */
export class TimerQueue implements Clock {
  readonly #options: ResolvedTimerQueueOptions;
  readonly #heap = new TimerHeap();
  readonly #byKey = new Map<string, TimerEntry>();
  #seq = 0;
  #realTimer: unknown;
  #armed = false;
  /** Wall-clock time the armed real timer is expected to wake at. */
  #wakeAt = Number.POSITIVE_INFINITY;
  #firing = false;
  #disposed = false;
  readonly #watch: ClockWatch;
  /** Both clocks as the real timer was armed. */
  #mark: ClockMark | undefined;
  #checkTimer: unknown;
  #checkMark: ClockMark | undefined;

  constructor(options: TimerQueueOptions = {}) {
    this.#options = resolveTimerQueueOptions(options);
    this.#watch = new ClockWatch(this.#options.clock, this.#options.jumpThresholdMs);
  }

  /** The underlying clock's wall time, epoch ms. */
  now(): number {
    return this.#options.clock.now();
  }

  /** Pending entries. */
  get size(): number {
    return this.#heap.size;
  }

  /** Due time of the entry that fires next, or `undefined` when empty. */
  get nextDueAt(): number | undefined {
    return this.#heap.peek()?.dueAt;
  }

  /** True after {@link dispose}. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Runs `callback` at the absolute time `dueAtMs` (epoch ms; a past time fires on the next
   * wake-up, `Infinity` never). With a `key`, an entry already pending under that key is
   * replaced, so re-scheduling an occurrence never leaves a second timer behind. The callback
   * is handed the entry it fires for, so one function can serve many keyed entries.
   * @throws {ValidationError} when `dueAtMs` is not a number.
   * @throws {StateError} after {@link dispose}.
   */
  schedule(dueAtMs: number, callback: (handle: TimerHandle) => void, key?: string): TimerHandle {
    if (this.#disposed) {
      throw new StateError(
        'planflow:scheduler-stopped',
        'TimerQueue: schedule() called after dispose(); create a new TimerQueue',
      );
    }
    if (typeof dueAtMs !== 'number' || Number.isNaN(dueAtMs)) {
      throw new ValidationError(
        'planflow:invalid-input',
        'dueAtMs',
        `TimerQueue: dueAtMs must be epoch milliseconds, got ${String(dueAtMs)}`,
      );
    }
    if (typeof callback !== 'function') {
      throw new ValidationError(
        'planflow:invalid-input',
        'callback',
        `TimerQueue: callback must be a function, got ${typeof callback}`,
      );
    }
    if (key !== undefined) this.cancelKey(key);
    const entry = new TimerEntry(dueAtMs, this.#seq++, callback, key);
    this.#heap.push(entry);
    if (key !== undefined) this.#byKey.set(key, entry);
    if (!this.#firing && this.#heap.peek() === entry) this.#arm();
    return entry;
  }

  /** Cancels a pending entry; false when it already fired or was cancelled. */
  cancel(handle: TimerHandle): boolean {
    if (!(handle instanceof TimerEntry) || !this.#heap.remove(handle)) return false;
    handle.takeCallback();
    if (handle.key !== undefined && this.#byKey.get(handle.key) === handle) {
      this.#byKey.delete(handle.key);
    }
    // A real timer armed for an earlier entry simply wakes, finds nothing due and re-arms;
    // only an empty queue must release it so the process can exit.
    if (this.#heap.size === 0) this.#disarm();
    return true;
  }

  /** Cancels the entry pending under `key`; false when there is none. */
  cancelKey(key: string): boolean {
    const entry = this.#byKey.get(key);
    return entry !== undefined && this.cancel(entry);
  }

  /**
   * Cancels every pending entry scheduled with `callback` (compared by identity), in one pass
   * over the queue; returns how many. For a callback shared by many keyed entries.
   */
  cancelAll(callback: (handle: TimerHandle) => void): number {
    const removed = this.#heap.removeWhere((entry) => entry.hasCallback(callback));
    for (const entry of removed) {
      entry.takeCallback();
      if (entry.key !== undefined && this.#byKey.get(entry.key) === entry) {
        this.#byKey.delete(entry.key);
      }
    }
    if (this.#heap.size === 0) this.#disarm();
    return removed.length;
  }

  /** The entry pending under `key`, if any. */
  get(key: string): TimerHandle | undefined {
    return this.#byKey.get(key);
  }

  /** {@link Clock} shape for XState: runs `callback` `delayMs` from now (NaN/negative = 0). */
  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const delay = typeof delayMs === 'number' && delayMs > 0 ? delayMs : 0;
    return this.schedule(this.now() + delay, callback);
  }

  /** {@link Clock} shape for XState; ignores anything that is not a pending handle. */
  clearTimeout(handle: unknown): void {
    if (handle instanceof TimerEntry) this.cancel(handle);
  }

  /** Cancels every entry and releases the real timer; the queue stays usable. */
  clear(): void {
    this.#heap.clear();
    this.#byKey.clear();
    this.#disarm();
  }

  /**
   * Cancels everything and refuses further `schedule` calls. No real timer is left, so the
   * process can exit. Idempotent.
   */
  dispose(): void {
    this.clear();
    this.#disposed = true;
  }

  /** Arms the real timer for the earliest entry unless one already wakes no later. */
  #arm(): void {
    if (this.#disposed) return;
    const top = this.#heap.peek();
    if (top === undefined || top.dueAt === Number.POSITIVE_INFINITY) {
      this.#disarm();
      return;
    }
    this.#armCheck();
    const { clock, maxWaitMs, keepAlive } = this.#options;
    const now = clock.now();
    const wait = Math.min(Math.max(top.dueAt - now, 0), maxWaitMs);
    const wakeAt = now + wait;
    if (this.#armed && this.#wakeAt <= wakeAt) return;
    this.#disarmMain();
    this.#mark = this.#watch.mark(wait);
    this.#realTimer = clock.setTimeout(this.#onWake, wait);
    this.#armed = true;
    this.#wakeAt = wakeAt;
    if (!keepAlive) unref(this.#realTimer);
  }

  #disarm(): void {
    this.#disarmMain();
    this.#disarmCheck();
  }

  #disarmMain(): void {
    if (this.#armed) this.#options.clock.clearTimeout(this.#realTimer);
    this.#realTimer = undefined;
    this.#armed = false;
    this.#wakeAt = Number.POSITIVE_INFINITY;
    this.#mark = undefined;
  }

  /** Starts the periodic clock check unless it runs already, is off, or cannot help. */
  #armCheck(): void {
    const { clock, clockCheckMs } = this.#options;
    if (this.#checkMark !== undefined || clockCheckMs === 0 || !this.#watch.monotonicUsable) {
      return;
    }
    this.#checkMark = this.#watch.mark(clockCheckMs);
    this.#checkTimer = clock.setTimeout(this.#onCheck, clockCheckMs);
    // Never what keeps a process alive: the real timer does that (or, unref'd, does not).
    unref(this.#checkTimer);
  }

  #disarmCheck(): void {
    if (this.#checkMark !== undefined) this.#options.clock.clearTimeout(this.#checkTimer);
    this.#checkTimer = undefined;
    this.#checkMark = undefined;
  }

  readonly #onWake = (): void => {
    const mark = this.#mark;
    this.#realTimer = undefined;
    this.#armed = false;
    this.#wakeAt = Number.POSITIVE_INFINITY;
    this.#mark = undefined;
    if (this.#disposed || mark === undefined) return;
    const observedAt = this.#options.clock.now();
    this.#wake(this.#watch.observe(mark, observedAt), observedAt);
  };

  /**
   * The periodic check: two clock readings. Only a wall clock that moved more than the
   * monotonic one wakes the queue (and reports); otherwise it re-arms itself.
   */
  readonly #onCheck = (): void => {
    const mark = this.#checkMark;
    this.#checkTimer = undefined;
    this.#checkMark = undefined;
    if (this.#disposed || mark === undefined) return;
    const observedAt = this.#options.clock.now();
    const jump = this.#watch.observe(mark, observedAt, true);
    if (jump === undefined) {
      this.#armCheck();
      return;
    }
    this.#disarmMain();
    this.#wake(jump, observedAt);
  };

  /** Reports a jump (if any), fires what is due at `observedAt`, and re-arms both timers. */
  #wake(jump: ClockJump | undefined, observedAt: number): void {
    const { onClockJump } = this.#options;
    this.#firing = true;
    try {
      if (jump !== undefined && onClockJump !== undefined) {
        this.#guard(() => onClockJump(jump), undefined);
      }
      this.#fireDue(observedAt, this.#seq);
    } finally {
      this.#firing = false;
      // A fresh mark for the check too, so one jump is not seen twice.
      this.#disarmCheck();
      this.#arm();
    }
  }

  /**
   * Fires, in order, the entries due by `now` that existed when the wake-up began, at most
   * `maxFiresPerWake` of them; `#arm` then wakes again at once for the rest.
   */
  #fireDue(now: number, boundarySeq: number): void {
    for (let budget = this.#options.maxFiresPerWake; budget > 0; budget--) {
      const top = this.#heap.peek();
      if (top === undefined || top.dueAt > now || top.seq >= boundarySeq) return;
      this.#heap.remove(top);
      if (top.key !== undefined && this.#byKey.get(top.key) === top) this.#byKey.delete(top.key);
      const callback = top.takeCallback();
      if (callback !== undefined) this.#guard(callback, top);
      if (this.#disposed) return;
    }
  }

  #guard<T>(run: (arg: T) => void, arg: T): void {
    try {
      run(arg);
    } catch (error) {
      try {
        this.#options.onError?.(error);
      } catch {
        // An onError that throws has nowhere left to report to; the queue must keep going.
      }
    }
  }
}

function unref(handle: unknown): void {
  if (typeof handle === 'object' && handle !== null && 'unref' in handle) {
    const fn = (handle as { unref: unknown }).unref;
    if (typeof fn === 'function') fn.call(handle);
  }
}
