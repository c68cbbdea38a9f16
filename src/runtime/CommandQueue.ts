/**
 * Runs async commands one at a time, in the order they were submitted. The scheduler's
 * bookkeeping (read the model, decide, append) goes through one queue so that no two
 * decisions interleave between their read and their append; handlers run outside it.
 */
export class CommandQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;

  /** Commands submitted and not yet settled. */
  get pending(): number {
    return this.#pending;
  }

  /** Queues `command`; the returned promise settles with its result once it has run. */
  run<T>(command: () => Promise<T> | T): Promise<T> {
    this.#pending++;
    const result = this.#tail.then(command);
    const settle = () => {
      this.#pending--;
    };
    this.#tail = result.then(settle, settle);
    return result;
  }

  /** Resolves when every command submitted so far has settled. */
  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }
}
