/**
 * Places for handler executions: at most `concurrency` at once in the scheduler, and at most
 * a task's `maxConcurrent` at once for that task. A run takes a place before its handler is
 * called and gives it back when the handler's own promise settles — so an abandoned run (one
 * that outlived its timeout) keeps its place until it really stops, and the limits bound what
 * executes, not only what the log shows as running.
 *
 * Runs that find no place wait in arrival order; a waiter held back only by its own task's
 * limit does not hold up runs of other tasks behind it. A waiter whose signal aborts (the
 * scheduler stopping) leaves the queue with no place.
 */
export class RunPlaces {
  readonly #limit: number;
  #taken = 0;
  readonly #perTask = new Map<string, number>();
  readonly #waiting: Waiter[] = [];

  /** `limit`: places in all (`Infinity` for no limit). */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** True when the scheduler has a limit of its own (runs of every task take a place). */
  get limited(): boolean {
    return this.#limit !== Number.POSITIVE_INFINITY;
  }

  /** Executions holding a place now. */
  get taken(): number {
    return this.#taken;
  }

  /** Runs waiting for a place now. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * A place for a run of `taskId` (whose limit is `taskLimit`, `undefined` for none) when one
   * is free now: the function that gives it back, else `undefined` (then {@link wait}).
   */
  tryTake(taskId: string, taskLimit: number | undefined): (() => void) | undefined {
    // Every waiter is held back by a limit that also holds this run back (the places are all
    // taken, or it is of the same task), except a waiter of another task held back only by
    // its own task's limit: so a run that fits now takes its place ahead of none that could.
    return this.#fits({ taskId, taskLimit, grant: () => {} }) ? this.#hold(taskId) : undefined;
  }

  /**
   * Waits in line for a place for a run of `taskId`. Resolves with the function that gives it
   * back, or `undefined` when `signal` aborted first.
   */
  wait(
    taskId: string,
    taskLimit: number | undefined,
    signal: AbortSignal,
  ): Promise<(() => void) | undefined> {
    const waiter: Waiter = { taskId, taskLimit, grant: () => {} };
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const onAbort = () => {
        const i = this.#waiting.indexOf(waiter);
        if (i !== -1) this.#waiting.splice(i, 1);
        resolve(undefined);
        // A waiter held back by its own task's limit may have held up nothing, or others may
        // fit now that it is gone.
        this.#wake();
      };
      waiter.grant = (release) => {
        signal.removeEventListener('abort', onAbort);
        resolve(release);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  #fits(waiter: Waiter): boolean {
    if (this.#taken >= this.#limit) return false;
    const limit = waiter.taskLimit;
    return limit === undefined || (this.#perTask.get(waiter.taskId) ?? 0) < limit;
  }

  #hold(taskId: string): () => void {
    this.#taken++;
    this.#perTask.set(taskId, (this.#perTask.get(taskId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#taken--;
      const left = (this.#perTask.get(taskId) ?? 1) - 1;
      if (left === 0) this.#perTask.delete(taskId);
      else this.#perTask.set(taskId, left);
      this.#wake();
    };
  }

  /** Grants waiting runs that fit, in arrival order, until the places run out. */
  #wake(): void {
    for (let i = 0; i < this.#waiting.length && this.#taken < this.#limit; ) {
      const waiter = this.#waiting[i]!;
      if (!this.#fits(waiter)) {
        i++;
        continue;
      }
      this.#waiting.splice(i, 1);
      waiter.grant(this.#hold(waiter.taskId));
    }
  }
}

type Waiter = {
  readonly taskId: string;
  readonly taskLimit: number | undefined;
  grant: (release: () => void) => void;
};
