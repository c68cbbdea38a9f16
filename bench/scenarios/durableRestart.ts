import { spawn } from 'node:child_process';
import { compiledRestartChild } from '../lib/compiledRestartChild.js';
import { dueTimes } from '../lib/dueTimes.js';
import type { ChildOutput, JobParams } from '../lib/job.js';
import { READY_PREFIX, type ReadyReport, type RestartJob } from '../lib/restartReady.js';
import { loadDurableSubject } from '../subjects/durableSubjects.js';

/** Where the pending jobs lie: from an hour ahead over the next 24 hours, none due meanwhile. */
const START_IN_MS = 3_600_000;
const SPAN_MS = 24 * 3_600_000;

type Ready = Readonly<{ spawnToReadyMs: number; report: ReadyReport }>;

/** Starts the restarted application (`entry`) and times it from `spawn` until its ready line. */
function restart(entry: string, job: RestartJob, timeoutMs: number): Promise<Ready> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [entry, JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let ready: Ready | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (ready !== undefined) return;
      const at = performance.now();
      stdout += chunk;
      const line = stdout.split('\n').find((l) => l.startsWith(READY_PREFIX));
      if (line === undefined || !stdout.includes('\n', stdout.indexOf(READY_PREFIX))) return;
      ready = {
        spawnToReadyMs: at - started,
        report: JSON.parse(line.slice(READY_PREFIX.length)) as ReadyReport,
      };
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4_000);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (ready !== undefined && code === 0) resolve(ready);
      else {
        const tail = stderr.trim().split('\n').slice(-3).join(' | ');
        reject(
          new Error(`restarted process ended with ${signal ?? code} before it was ready: ${tail}`),
        );
      }
    });
  });
}

/**
 * Restart: `n` pending jobs already stored (armed through the subject, its worker then
 * stopped), then a fresh process opens them: time from its spawn until the worker is
 * started and ready (PlanFlow: `start()` resolved — the log opened and verified, folded, and
 * every pending occurrence armed again; `.ready` alone is in the phases), and its RSS then.
 * The restarted process is plain Node on compiled JavaScript for every subject (see
 * compiledRestartChild); a peer's server keeps its jobs, so its memory is not in the RSS.
 */
export async function runDurableRestart(
  subjectName: string,
  params: JobParams,
): Promise<ChildOutput> {
  const n = Number(params.n);
  const subject = await loadDurableSubject(subjectName);
  const entry = compiledRestartChild();
  const ns = subject.namespace();
  try {
    const queue = await subject.open(ns);
    try {
      const arm = await queue.prepare(dueTimes(n, Date.now() + START_IN_MS, SPAN_MS, 'shuffled'));
      await queue.startWorker(() => {});
      await arm();
    } finally {
      await queue.close();
    }
    const { spawnToReadyMs, report } = await restart(
      entry,
      { subject: subjectName, ns },
      Number(params.readyTimeoutMs),
    );
    const phases: Record<string, number> = {};
    for (const [name, ms] of Object.entries(report.phases)) phases[`phase.${name}`] = ms;
    return {
      metrics: {
        readyMs: spawnToReadyMs,
        bootMs: report.bootMs,
        importMs: report.importMs,
        openMs: report.openMs,
        cpuMs: report.cpuMs,
        rssMB: report.rssBytes / 2 ** 20,
        heapUsedMB: report.heapUsedBytes / 2 ** 20,
        ...phases,
      },
      notes: [],
    };
  } finally {
    await subject.drop(ns);
  }
}
