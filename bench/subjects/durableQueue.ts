/**
 * A durable job system under test in the durable scenarios: PlanFlow on SQLite, or a peer
 * that keeps its jobs in PostgreSQL or Redis. Each case works in its own namespace (a file, a
 * schema, a key prefix) and removes it when done.
 *
 * Every scenario drives a subject the same way: `open` → `prepare` (untimed) →
 * `startWorker` → the function `prepare` returned (the timed arming) → wait → `close` →
 * `drop`. The Restart scenario closes without dropping and opens the namespace again in a
 * fresh process.
 */
export interface DurableSubject {
  /** A fresh namespace name for one case. */
  namespace(): string;
  /** Connects to the namespace, creating what is missing (schema, queue, file). */
  open(ns: string): Promise<DurableQueue>;
  /** Removes the namespace and everything in it. */
  drop(ns: string): Promise<void>;
}

/** An open subject. */
export interface DurableQueue {
  /**
   * Prepares one job per due time (epoch ms): everything that is not the measured work
   * (task definitions, job specs). Returns the arming, which adds them all through the
   * subject's bulk API and is what the clock measures.
   */
  prepare(dues: Float64Array): Promise<() => Promise<void>>;
  /**
   * Starts the worker: from then on `onRun(dueMs)` is called first thing in each job's
   * handler. Resolves once the worker is started and ready to fetch.
   */
  startWorker(onRun: (dueMs: number) => void): Promise<void>;
  /** How many jobs the store records as done so far. */
  doneCount(): Promise<number>;
  /** Durations of the steps of the last open, for the Restart scenario (ms). */
  phases(): Readonly<Record<string, number>>;
  /** Stops the worker and disconnects; the stored jobs stay. */
  close(): Promise<void>;
}
