/**
 * What a timer runs. It is handed its own entry, so one callback can serve many entries and
 * tell them apart by `key` (e.g. the scheduler's far-future promotions: one shared function,
 * the occurrence id as key, instead of a closure per occurrence).
 */
export type TimerCallback = (entry: TimerEntry) => void;

/**
 * One pending timer. The object itself is the handle returned to callers: it carries its
 * own heap position, so cancelling is O(log n) without a lookup table or lazy deletion
 * (lazy deletion would keep a million cancelled closures alive until they reach the top).
 */
export class TimerEntry {
  #dueAt: number;
  /** Insertion order; breaks ties so timers due at the same instant fire first-in first-out. */
  readonly seq: number;
  /** Optional caller key (e.g. an occurrence id) for replace-by-key scheduling. */
  readonly key: string | undefined;
  /** Position in the heap array, or -1 once fired, cancelled or cleared. */
  index = -1;
  #callback: TimerCallback | undefined;

  constructor(dueAt: number, seq: number, callback: TimerCallback, key: string | undefined) {
    this.#dueAt = dueAt;
    this.seq = seq;
    this.#callback = callback;
    this.key = key;
  }

  /** Absolute due time, epoch ms. `Infinity` never fires. */
  get dueAt(): number {
    return this.#dueAt;
  }

  /** Moves the due time; only {@link TimerHeap.shiftAll}, which keeps the order, calls it. */
  shiftBy(ms: number): void {
    this.#dueAt += ms;
  }

  /** True while the entry is still waiting in a heap. */
  get pending(): boolean {
    return this.index >= 0;
  }

  /** True when the entry still holds `callback` (it has neither fired nor been cancelled). */
  hasCallback(callback: unknown): boolean {
    return this.#callback === callback;
  }

  /** Detaches the callback so a fired or cancelled entry keeps nothing alive. */
  takeCallback(): TimerCallback | undefined {
    const callback = this.#callback;
    this.#callback = undefined;
    return callback;
  }
}

const before = (a: TimerEntry, b: TimerEntry): boolean =>
  a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq);

/**
 * A binary min-heap of {@link TimerEntry} ordered by `(dueAt, seq)`. Shared by the
 * production `TimerQueue` and the `TestClock` so both fire timers in exactly the same order.
 * Insert, pop and remove are O(log n); the heap is a plain array of entry references, so a
 * million entries cost the entries themselves plus 8 bytes each.
 */
export class TimerHeap {
  #items: TimerEntry[] = [];

  /** Number of pending entries. */
  get size(): number {
    return this.#items.length;
  }

  /** The entry that fires next, without removing it. */
  peek(): TimerEntry | undefined {
    return this.#items[0];
  }

  /** True when `entry` is pending in this heap (not another heap's entry). */
  holds(entry: TimerEntry): boolean {
    return entry.index >= 0 && this.#items[entry.index] === entry;
  }

  push(entry: TimerEntry): void {
    entry.index = this.#items.length;
    this.#items.push(entry);
    this.#up(entry.index);
  }

  /** Removes and returns the entry that fires next. */
  pop(): TimerEntry | undefined {
    const top = this.#items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  /** Removes `entry`; returns false when it was not pending here. */
  remove(entry: TimerEntry): boolean {
    if (!this.holds(entry)) return false;
    const at = entry.index;
    const last = this.#items.pop()!;
    entry.index = -1;
    if (last !== entry) {
      this.#items[at] = last;
      last.index = at;
      this.#down(at);
      this.#up(last.index);
    }
    return true;
  }

  /**
   * Removes every entry `drop` selects in one pass (O(n), not a removal per entry) and
   * returns them; the rest keep their order.
   */
  removeWhere(drop: (entry: TimerEntry) => boolean): TimerEntry[] {
    const removed: TimerEntry[] = [];
    const kept: TimerEntry[] = [];
    for (const entry of this.#items) {
      if (drop(entry)) {
        entry.index = -1;
        removed.push(entry);
      } else {
        entry.index = kept.length;
        kept.push(entry);
      }
    }
    if (removed.length === 0) return removed;
    this.#items = kept;
    for (let i = (kept.length >> 1) - 1; i >= 0; i--) this.#down(i);
    return removed;
  }

  /**
   * Moves every pending entry's due time by `ms`. Adding one amount to every key keeps the
   * heap's order, so nothing is re-sorted (a `TestClock` sleep: host timers wait out their
   * remaining time on a clock that stopped).
   */
  shiftAll(ms: number): void {
    for (const entry of this.#items) entry.shiftBy(ms);
  }

  /** Drops every entry (their handles report `pending === false`). */
  clear(): void {
    for (const entry of this.#items) {
      entry.index = -1;
      entry.takeCallback();
    }
    this.#items = [];
  }

  #up(start: number): void {
    const items = this.#items;
    let i = start;
    const entry = items[i]!;
    while (i > 0) {
      const parentAt = (i - 1) >> 1;
      const parent = items[parentAt]!;
      if (!before(entry, parent)) break;
      items[i] = parent;
      parent.index = i;
      i = parentAt;
    }
    items[i] = entry;
    entry.index = i;
  }

  #down(start: number): void {
    const items = this.#items;
    const n = items.length;
    let i = start;
    const entry = items[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(items[right]!, items[left]!) ? right : left;
      const childEntry = items[child]!;
      if (!before(childEntry, entry)) break;
      items[i] = childEntry;
      childEntry.index = i;
      i = child;
    }
    items[i] = entry;
    entry.index = i;
  }
}
