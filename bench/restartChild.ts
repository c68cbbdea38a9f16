import { READY_PREFIX, type ReadyReport, type RestartJob } from './lib/restartReady.js';
import { loadDurableSubject } from './subjects/durableSubjects.js';

/**
 * The restarted application of the Restart scenario: opens a namespace that already holds
 * its pending jobs, starts the worker, and says so on stdout at once; the scenario times
 * this process from its spawn to that line. Run compiled (bench/lib/compiledRestartChild.ts)
 * as `node restartChild.js '<job json>'`; by hand `node --import tsx bench/restartChild.ts`.
 */
const bootMs = performance.now();
const raw = process.argv[2];
if (raw === undefined) {
  process.stderr.write("usage: node restartChild.js '<job json>'\n");
  process.exit(2);
}
const job = JSON.parse(raw) as RestartJob;
const subject = await loadDurableSubject(job.subject);
const imported = performance.now();
const queue = await subject.open(job.ns);
await queue.startWorker(() => {});
const ready = performance.now();
const cpu = process.cpuUsage();
const memory = process.memoryUsage();
const report: ReadyReport = {
  bootMs,
  importMs: imported - bootMs,
  openMs: ready - imported,
  cpuMs: (cpu.user + cpu.system) / 1_000,
  rssBytes: memory.rss,
  heapUsedBytes: memory.heapUsed,
  phases: queue.phases(),
};
process.stdout.write(`${READY_PREFIX}${JSON.stringify(report)}\n`);
await queue.close();
process.exit(0);
