import { type DueOrder, dueTimes } from '../lib/dueTimes.js';
import { drainEventLoop, settledHeapBytes } from '../lib/heap.js';
import type { ChildOutput, JobParams } from '../lib/job.js';
import { loadDurableSubject } from '../subjects/durableSubjects.js';

/** Where the due times lie: from 10 minutes ahead over the next 24 hours, none fires. */
const START_IN_MS = 10 * 60_000;
const SPAN_MS = 24 * 3_600_000;

/**
 * Durable Arm: store `n` future jobs through each subject's bulk API (chunks of 1 000) with
 * its worker running, and measure the time per job and the heap of this process each
 * pending job keeps (settled heap after minus before, both after full GCs, with the prepared
 * inputs alive in both). A peer keeps its jobs in its server, so its figure is what its
 * client holds; PlanFlow's is the read model, the timer queue and the log's own state.
 */
export async function runDurableArm(subjectName: string, params: JobParams): Promise<ChildOutput> {
  const n = Number(params.n);
  const order = String(params.order) as DueOrder;
  const subject = await loadDurableSubject(subjectName);
  const ns = subject.namespace();
  const queue = await subject.open(ns);
  try {
    const dues = dueTimes(n, Date.now() + START_IN_MS, SPAN_MS, order);
    const arm = await queue.prepare(dues);
    await queue.startWorker(() => {});
    await drainEventLoop();
    const before = settledHeapBytes();
    const started = performance.now();
    await arm();
    const armMs = performance.now() - started;
    await drainEventLoop();
    const after = settledHeapBytes();
    const rssMB = process.memoryUsage().rss / 2 ** 20;
    // Keep the inputs reachable until after the second measurement.
    const notes = dues.length === n && typeof arm === 'function' ? [] : ['inputs changed'];
    return {
      metrics: {
        usPerJob: (armMs * 1000) / n,
        heapBytesPerJob: (after - before) / n,
        heapUsedMB: after / 2 ** 20,
        rssMB,
        armMs,
      },
      notes,
    };
  } finally {
    await queue.close();
    await subject.drop(ns);
  }
}
