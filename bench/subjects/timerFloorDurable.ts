import type { DurableQueue, DurableSubject } from './durableQueue.js';

/**
 * Plain `setTimeout` per job, nothing stored: the in-memory floor under the durable Fire
 * figures (what waking up on time costs before anything is written).
 */
class TimerFloorQueue implements DurableQueue {
  readonly #handles: NodeJS.Timeout[] = [];
  #onRun: (dueMs: number) => void = () => {};
  #done = 0;

  async prepare(dues: Float64Array): Promise<() => Promise<void>> {
    return async () => {
      for (const due of dues) {
        this.#handles.push(
          setTimeout(() => {
            this.#onRun(due);
            this.#done++;
          }, due - Date.now()),
        );
      }
    };
  }

  async startWorker(onRun: (dueMs: number) => void): Promise<void> {
    this.#onRun = onRun;
  }

  async doneCount(): Promise<number> {
    return this.#done;
  }

  phases(): Readonly<Record<string, number>> {
    return {};
  }

  async close(): Promise<void> {
    for (const handle of this.#handles) clearTimeout(handle);
  }
}

/** The in-memory floor; its namespace is nothing. */
export const timerFloorDurable: DurableSubject = {
  namespace: () => '',
  open: async () => new TimerFloorQueue(),
  drop: async () => {},
};
