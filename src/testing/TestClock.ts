import { PlanflowError, ValidationError } from '../domain/errors.js';
import type { Clock } from '../time/Clock.js';
import { TimerEntry, TimerHeap } from '../time/TimerHeap.js';
import { settleStoreWork } from './storeWork.js';

export type TestClockOptions = Readonly<{
  /**
   * Most timer callbacks one `advance`/`runAll` call may fire before it gives up, so a
   * timer that keeps re-arming itself fails the test instead of hanging it.
   * @default 1_000_000
   */
  loopLimit?: number;
  /**
   * What `advanceAsync` awaits before and after each timer so promise chains started by a
   * callback (async handlers, XState promise actors) settle first.
   * @default `settleStoreWork`: a macrotask hop through the real `setImmediate`, and then,
   * while a call into a store wrapped by `trackStoreWork` (PostgreSQL) is in flight, waiting
   * for it to answer and hopping again
   */
  settle?: () => Promise<void>;
  /**
   * Gives the clock a monotonic reading (`monotonic()`), the clock host timers count, so a
   * `TimerQueue` over it tells a sleep or a clock change (only the wall clock moves) from an
   * event-loop stall (both move) and runs its once-a-second clock check. Off by default: that
   * check is a timer every second while entries are pending, which a test that advances
   * weeks does not want to fire millions of times.
   * @default false
   */
  monotonic?: boolean;
}>;

/** How {@link TestClock.sleep} treats the monotonic clock. */
export type SleepOptions = Readonly<{
  /**
   * True for platforms whose monotonic clock counts time asleep: both clocks move and the
   * timers the sleep overtook fire on the next `advance`/`runDue`, exactly like a
   * {@link TestClock.stall}. False (Linux, macOS: the monotonic clock stops while the machine
   * sleeps): only the wall clock moves and pending timers wait out their remaining time.
   * @default false
   */
  monotonicCounts?: boolean;
}>;

const toMs = (field: string, value: number | Date): number => {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new ValidationError(
      'planflow:invalid-input',
      field,
      `TestClock: ${field} must be epoch milliseconds or a valid Date, got ${String(value)}`,
    );
  }
  return ms;
};

const finiteMs = (method: string, ms: number): number => {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new ValidationError(
      'planflow:invalid-input',
      'ms',
      `TestClock.${method}: ms must be a finite number (negative sets the clock back), got ${String(ms)}`,
    );
  }
  return ms;
};

const durationMs = (method: string, ms: number): number => {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new ValidationError(
      'planflow:invalid-input',
      'ms',
      `TestClock.${method}: ms must be a finite number ≥ 0, got ${String(ms)}`,
    );
  }
  return ms;
};

/**
 * A manual {@link Clock} for tests: time moves only when the test says so.
 *
 * Timers are pinned to wall-clock due times. `advance` moves time forward and fires every
 * timer it passes, in due order (ties first-in first-out), each callback seeing `now()` equal
 * to its own due time, including timers those callbacks schedule on the way. `jump` moves
 * the wall clock without firing anything, as when a laptop sleeps: the overdue timers fire,
 * late, on the next `advance`/`runDue`, and see the jumped time. (Contrast
 * `@sinonjs/fake-timers`' `setSystemTime`, which shifts pending timers along with the clock.)
 *
 * It drives XState directly (`createActor(machine, { clock: testClock })`) or underneath a
 * `TimerQueue` (`new TimerQueue({ clock: testClock })`).
 *
 * With `{ monotonic: true }` it also keeps the monotonic clock host timers count, and the
 * three ways time can move behind a program's back are separate methods:
 * - `sleep(ms)`: the machine is suspended; the wall clock moves, the monotonic clock does not
 *   (Linux, macOS), and pending timers wait out their remaining time, firing `ms` late;
 * - `shiftWallClock(ms)`: the clock is set forward or back (NTP, a person); same mechanics —
 *   a program cannot tell the two apart, only the log's reader can;
 * - `stall(ms)`: the event loop is blocked; both clocks move, no timer fires until the next
 *   `advance`/`runDue`, which fires the overdue ones late.
 *
 * @example
 * const clock = new TestClock(Date.parse('2026-03-02T08:00:00Z'));
 * const queue = new TimerQueue({ clock });
 * queue.schedule(clock.now() + 40 * 86_400_000, fire);
 * clock.advance(40 * 86_400_000); // fires exactly once, at its time
 */
export class TestClock implements Clock {
  readonly #heap = new TimerHeap();
  readonly #loopLimit: number;
  readonly #settle: () => Promise<void>;
  #now: number;
  /** The monotonic clock: moves with `advance` and `stall`, never with sleep or a clock change. */
  #mono = 0;
  #seq = 0;
  #busy = false;
  /** Present only with `{ monotonic: true }` (see {@link TestClockOptions.monotonic}). */
  readonly monotonic?: () => number;

  constructor(start: number | Date = 0, options: TestClockOptions = {}) {
    this.#now = toMs('start', start);
    this.#loopLimit = options.loopLimit ?? 1_000_000;
    this.#settle = options.settle ?? settleStoreWork;
    if (options.monotonic === true) this.monotonic = () => this.#mono;
  }

  now(): number {
    return this.#now;
  }

  /** Schedules `callback` `delayMs` from now (NaN or negative = now; `Infinity` = never). */
  setTimeout(callback: () => void, delayMs: number): unknown {
    const delay = typeof delayMs === 'number' && delayMs > 0 ? delayMs : 0;
    const entry = new TimerEntry(this.#now + delay, this.#seq++, callback, undefined);
    this.#heap.push(entry);
    return entry;
  }

  clearTimeout(handle: unknown): void {
    if (handle instanceof TimerEntry && this.#heap.remove(handle)) handle.takeCallback();
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.#heap.size;
  }

  /** Due time of the next timer, or `undefined` when none is pending. */
  get nextDueAt(): number | undefined {
    return this.#heap.peek()?.dueAt;
  }

  /** Sets the wall clock to `time` (either direction) without firing any timer. */
  set(time: number | Date): void {
    this.#now = toMs('time', time);
  }

  /**
   * Moves the wall clock by `ms` without firing timers: a sleep or clock change noticed at
   * once. Forward, the timers it overtakes fire late on the next `advance` or `runDue`, as if
   * the host woke them on the spot. Back (negative `ms`), pending timers keep their remaining
   * wait, as host timers counting monotonic time do, so a queue over this clock wakes on
   * time and sees the clock set back. The monotonic clock does not move. For a sleep whose
   * timers wait out their remaining time, use {@link sleep}.
   */
  jump(ms: number): void {
    const by = finiteMs('jump', ms);
    this.#now += by;
    if (by < 0) this.#heap.shiftAll(by);
  }

  /**
   * The machine sleeps for `ms`: the wall clock moves, the monotonic clock stops (Linux,
   * macOS), and pending timers wait out their remaining time, so each fires `ms` late on the
   * wall clock — which is what a `TimerQueue`'s clock check is there to notice. With
   * `{ monotonicCounts: true }` it is a {@link stall} instead.
   */
  sleep(ms: number, options: SleepOptions = {}): void {
    const by = durationMs('sleep', ms);
    if (options.monotonicCounts === true) {
      this.stall(by);
      return;
    }
    this.#now += by;
    this.#heap.shiftAll(by);
  }

  /**
   * The wall clock is set forward or back by `ms` (NTP, a person, a VM restored): only the
   * wall clock moves; pending timers keep their remaining wait.
   */
  shiftWallClock(ms: number): void {
    const by = finiteMs('shiftWallClock', ms);
    this.#now += by;
    this.#heap.shiftAll(by);
  }

  /**
   * The event loop is blocked for `ms`: both clocks move and no timer fires; the next
   * `advance` or `runDue` fires the overdue ones, late.
   */
  stall(ms: number): void {
    const by = durationMs('stall', ms);
    this.#now += by;
    this.#mono += by;
  }

  /** Moves time forward by `ms`, firing due timers in order. Returns how many fired. */
  advance(ms: number): number {
    return this.#run(this.#now + durationMs('advance', ms));
  }

  /** Moves time forward to `time` (no-op when already past it), firing due timers. */
  advanceTo(time: number | Date): number {
    return this.#run(Math.max(this.#now, toMs('time', time)));
  }

  /** Fires the timers already due (e.g. after `jump`) without moving time. */
  runDue(): number {
    return this.#run(this.#now);
  }

  /** Fires timers, advancing time to each, until none is pending. Returns how many fired. */
  runAll(): number {
    return this.#run(Number.POSITIVE_INFINITY);
  }

  /**
   * `advance` for code whose timer callbacks start promises: settles pending promise chains
   * before the first timer and after every timer, so an async handler started by one timer
   * finishes (at that timer's `now()`) before the next timer fires.
   */
  async advanceAsync(ms: number): Promise<number> {
    const target = this.#now + durationMs('advanceAsync', ms);
    this.#enter('advanceAsync');
    let fired = 0;
    try {
      await this.#settle();
      for (;;) {
        const entry = this.#nextDue(target, fired);
        if (entry === undefined) break;
        fired++;
        this.#fire(entry);
        await this.#settle();
      }
      this.#moveTo(target);
      return fired;
    } finally {
      this.#busy = false;
    }
  }

  /** Awaits the same settling `advanceAsync` uses between timers, without moving time. */
  settle(): Promise<void> {
    return this.#settle();
  }

  #run(target: number): number {
    this.#enter('advance');
    let fired = 0;
    let firstError: { error: unknown } | undefined;
    try {
      for (;;) {
        const entry = this.#nextDue(target, fired);
        if (entry === undefined) break;
        fired++;
        try {
          this.#fire(entry);
        } catch (error) {
          firstError ??= { error };
        }
      }
      if (Number.isFinite(target)) this.#moveTo(target);
    } finally {
      this.#busy = false;
    }
    // Like the host, a throwing callback does not stop the others; the test still sees it.
    if (firstError !== undefined) throw firstError.error;
    return fired;
  }

  #nextDue(target: number, fired: number): TimerEntry | undefined {
    const top = this.#heap.peek();
    if (top === undefined || top.dueAt > target || top.dueAt === Number.POSITIVE_INFINITY) {
      return undefined;
    }
    if (fired >= this.#loopLimit) {
      throw new PlanflowError(
        'planflow:invalid-input',
        `TestClock: fired ${fired} timers in one call without draining them (loopLimit); a timer probably re-arms itself forever, or raise loopLimit`,
      );
    }
    return top;
  }

  #fire(entry: TimerEntry): void {
    this.#heap.remove(entry);
    this.#moveTo(entry.dueAt);
    entry.takeCallback()?.(entry);
  }

  /** Time passing: both clocks move forward to wall time `time` (never back). */
  #moveTo(time: number): void {
    if (time <= this.#now) return;
    this.#mono += time - this.#now;
    this.#now = time;
  }

  #enter(method: string): void {
    if (this.#busy) {
      throw new PlanflowError(
        'planflow:invalid-input',
        `TestClock.${method}: called while the clock is already advancing (from a timer callback or an un-awaited advanceAsync); await the running call first`,
      );
    }
    this.#busy = true;
  }
}
