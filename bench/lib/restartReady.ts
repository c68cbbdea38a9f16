/**
 * The contract between the Restart scenario and the process it starts
 * (bench/restartChild.ts): the subject and namespace go in as JSON on argv, one line comes
 * out on stdout the moment the subject is ready.
 */

/** What the restarted process is asked to open. */
export type RestartJob = Readonly<{ subject: string; ns: string }>;

/** What it reports when ready (times in ms since its own start, memory in bytes). */
export type ReadyReport = Readonly<{
  /** From process start to the first line of the script: Node's own start-up. */
  bootMs: number;
  /** Loading the subject's library. */
  importMs: number;
  /** Opening the subject and starting its worker. */
  openMs: number;
  /** This process's CPU time (user + system) from its start until ready. */
  cpuMs: number;
  rssBytes: number;
  heapUsedBytes: number;
  phases: Readonly<Record<string, number>>;
}>;

/** The prefix of the line that carries the {@link ReadyReport}. */
export const READY_PREFIX = 'BENCH_READY ';
