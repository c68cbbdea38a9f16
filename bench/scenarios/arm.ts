import { type DueOrder, dueTimes } from '../lib/dueTimes.js';
import { drainEventLoop, settledHeapBytes } from '../lib/heap.js';
import type { ChildOutput, JobParams } from '../lib/job.js';
import { loadTimerSubject } from '../subjects/timerSubjects.js';

/** Where arm's due times lie: from 10 minutes ahead over the next 24 hours, none fires. */
const START_IN_MS = 10 * 60_000;
const SPAN_MS = 24 * 3_600_000;

/**
 * Arm: schedule `n` future occurrences and measure the time per occurrence and the heap each
 * pending one keeps (settled heap after minus before, both after full GCs, with the inputs
 * alive in both). Nothing fires during the run.
 */
export async function runArm(subjectName: string, params: JobParams): Promise<ChildOutput> {
  const n = Number(params.n);
  const order = String(params.order) as DueOrder;
  const dues = dueTimes(n, Date.now() + START_IN_MS, SPAN_MS, order);
  const subject = await loadTimerSubject(subjectName);
  const armed = await subject.setup(dues, () => {});
  await drainEventLoop();
  const before = settledHeapBytes();
  const started = performance.now();
  await armed.arm();
  const armMs = performance.now() - started;
  await drainEventLoop();
  const after = settledHeapBytes();
  const pending = armed.pending();
  const notes: string[] = [];
  if (pending !== undefined && pending !== n) notes.push(`expected ${n} pending, found ${pending}`);
  // Keep the inputs reachable until after the second measurement.
  if (dues.length !== n) notes.push('inputs changed');
  await armed.dispose();
  return {
    metrics: {
      usPerOcc: (armMs * 1000) / n,
      heapBytesPerPending: (after - before) / n,
      heapUsedMB: after / 2 ** 20,
      armMs,
      ...(pending === undefined ? {} : { pending }),
    },
    notes,
  };
}
