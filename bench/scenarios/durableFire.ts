import { wallNow } from '../lib/clock.js';
import { dueTimes } from '../lib/dueTimes.js';
import type { ChildOutput, JobParams } from '../lib/job.js';
import { pollUntil, settlesBy } from '../lib/pollUntil.js';
import { CPU_LEAD_MS, processCpuMs, serverCpuOf } from '../lib/serverCpu.js';
import { latencySummary } from '../lib/stats.js';
import { loadDurableSubject } from '../subjects/durableSubjects.js';

/**
 * Durable Fire: `n` jobs due over `windowMs`, the first `leadMs` after arming starts, each
 * stored before it is due. Lateness is the handler's entry time minus the due time. CPU is
 * counted from just before the first due time until the store records the last job done: this
 * process's, and the server's (every process of PostgreSQL or Redis) for the peers.
 */
export async function runDurableFire(subjectName: string, params: JobParams): Promise<ChildOutput> {
  const n = Number(params.n);
  const windowMs = Number(params.windowMs);
  const leadMs = Number(params.leadMs);
  const subject = await loadDurableSubject(subjectName);
  const ns = subject.namespace();
  const queue = await subject.open(ns);
  const notes: string[] = [];
  try {
    const first = Date.now() + leadMs;
    const dues = dueTimes(n, first, windowMs, 'ascending');
    const lateness = new Float64Array(n);
    let ran = 0;
    let allRan: () => void = () => {};
    const ranAll = new Promise<void>((resolve) => {
      allRan = resolve;
    });
    const arm = await queue.prepare(dues);
    await queue.startWorker((due) => {
      const late = wallNow() - due;
      if (ran < n) lateness[ran] = late;
      if (++ran === n) allRan();
    });
    const server = serverCpuOf(subjectName);
    let cpuAtFirst = Number.NaN;
    let serverAtFirst: number | undefined;
    const atFirst = setTimeout(
      () => {
        cpuAtFirst = processCpuMs();
        serverAtFirst = server();
      },
      first - CPU_LEAD_MS - Date.now(),
    );
    const armStarted = performance.now();
    await arm();
    const armMs = performance.now() - armStarted;
    if (Date.now() > first)
      notes.push(`arming ended ${Date.now() - first} ms after the first due time`);
    const deadline = first + windowMs + 60_000;
    if (!(await settlesBy(ranAll, deadline)))
      notes.push(`only ${ran} of ${n} ran within 60 s after the window`);
    const recorded = await pollUntil(async () => (await queue.doneCount()) >= n, deadline, 5);
    if (!recorded) notes.push(`only ${await queue.doneCount()} of ${n} recorded done`);
    const cpuMs = processCpuMs() - cpuAtFirst;
    const serverNow = server();
    clearTimeout(atFirst);
    if (ran > n) notes.push(`${ran - n} extra runs`);
    const summary = latencySummary(lateness.subarray(0, Math.min(ran, n)));
    return {
      metrics: {
        ...summary,
        ran: Math.min(ran, n),
        armMs,
        cpuMs,
        ...(serverNow === undefined || serverAtFirst === undefined
          ? {}
          : { serverCpuMs: serverNow - serverAtFirst }),
      },
      notes,
    };
  } finally {
    await queue.close();
    await subject.drop(ns);
  }
}
