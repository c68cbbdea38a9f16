import { dropPgSchema } from '../lib/dropPgSchema.js';
import { FleetLog } from '../lib/FleetLog.js';
import { FleetProcesses } from '../lib/FleetProcesses.js';
import { fleetBase, fleetInstances, fleetSchema, recordOneShots } from '../lib/fleetSetup.js';
import type { ChildOutput, JobParams } from '../lib/job.js';
import { pollUntil } from '../lib/pollUntil.js';
import { CPU_LEAD_MS, serverCpuOf } from '../lib/serverCpu.js';
import { PG_URL } from '../subjects/durableSettings.js';

/**
 * Fleet throughput: `n` one-off no-op occurrences over `tasks` tasks, due over `windowMs`
 * from one instant, recorded before the fleet starts; then `instances` schedulers, each its
 * own OS process on the one schema, share them by rendezvous hashing and run them. Triggers
 * per second recorded done are counted from the log: its `occurrence.completed` entries over
 * the time from its first `occurrence.triggered` to its last `occurrence.completed` (entry
 * times, written by the instances); the case ends once every occurrence is settled
 * (completed, failed or missed) or 180 s after the due instant. CPU of the
 * instance processes and of the PostgreSQL server from the due instant to the last
 * completion, and how the triggers spread (each instance's share of `n / instances`).
 */
export async function runFleetThroughput(
  subjectName: string,
  params: JobParams,
): Promise<ChildOutput> {
  const n = Number(params.n);
  const tasks = Number(params.tasks);
  const instances = fleetInstances(subjectName);
  const schema = fleetSchema();
  const notes: string[] = [];
  const fleet = new FleetProcesses(
    fleetBase(schema, subjectName, {
      leaseTtlMs: Number(params.leaseTtlMs),
      graceMs: Number(params.graceMs),
      workMs: 0,
    }),
  );
  let log: FleetLog | undefined;
  try {
    const dueMs = Math.ceil(Date.now() + Number(params.leadMs));
    await recordOneShots(schema, { n, tasks, dueMs, windowMs: Number(params.windowMs) });
    const spawnedAt = Date.now();
    const started = Array.from({ length: instances }, (_, i) => fleet.start(`i${i}`));
    const readyTimes = await Promise.all(started.map((p) => p.ready));
    const readyAt = Math.max(...readyTimes);
    if (readyAt > dueMs - 1_000) {
      notes.push(`the last instance was ready ${readyAt - dueMs} ms from the due instant`);
    }
    log = await FleetLog.open(PG_URL, schema);
    const server = serverCpuOf(subjectName);
    await new Promise((resolve) => setTimeout(resolve, dueMs - CPU_LEAD_MS - Date.now()));
    const cpuBefore = fleet.cpuMs();
    const serverBefore = server();
    const deadline = dueMs + 180_000;
    const reader = log;
    // Settled, not only completed: an instance that loses its lease (a heartbeat starved
    // past its expiry) has its runs in flight recorded interrupted by a survivor.
    // Missed ones too: an instance that falls more than graceMs behind records them missed.
    const settled = async () =>
      (await reader.count('occurrence.completed')) +
      (await reader.count('occurrence.failed')) +
      (await reader.count('occurrence.missed'));
    // Counting by type scans every entry: asked each poll, it loaded the server (three scans
    // of 60 000–90 000 rows every 200 ms) during the very run it measures. The head is one
    // index probe; the counts are asked once it reached the fewest entries n settled runs
    // take (a trigger and an ending each), or once it stood still for a second.
    const fewest = (await reader.head()) + 2 * n;
    let lastHead = -1;
    let stillSince = Date.now();
    const done = await pollUntil(
      async () => {
        const head = await reader.head();
        const now = Date.now();
        if (head !== lastHead) {
          lastHead = head;
          stillSince = now;
          if (head < fewest) return false;
        } else if (head < fewest && now - stillSince < 1_000) {
          return false;
        }
        if ((await settled()) >= n) return true;
        stillSince = now;
        return false;
      },
      deadline,
      200,
    );
    const cpuAfter = fleet.cpuMs();
    const serverAfter = server();
    if (!done) notes.push(`only ${await settled()} of ${n} recorded settled within 180 s`);
    const failed = await log.count('occurrence.failed');
    const completed = await log.count('occurrence.completed');
    if (failed > 0) notes.push(`${failed} runs were recorded failed (interrupted: a lease lost)`);
    const { fromMs, toMs } = await log.span('occurrence.triggered', 'occurrence.completed');
    const perInstance = await log.triggersPerInstance();
    const fair = n / instances;
    const shares = started.map((p) => ((perInstance.get(p.instanceId) ?? 0) * 100) / fair);
    const missed = await log.count('occurrence.missed');
    if (missed > 0) notes.push(`${missed} occurrences were recorded missed`);
    return {
      metrics: {
        triggersPerSec: (completed * 1000) / (toMs - fromMs),
        completed,
        firstToLastMs: toMs - fromMs,
        allDoneMs: toMs - dueMs,
        firstLateMs: fromMs - dueMs,
        readyMs: readyAt - spawnedAt,
        ...Object.fromEntries(
          started.map((p, i) => [`readyMs.${p.instanceId}`, readyTimes[i]! - spawnedAt]),
        ),
        ...(cpuBefore === undefined || cpuAfter === undefined
          ? {}
          : { instancesCpuMs: cpuAfter - cpuBefore }),
        ...(serverBefore === undefined || serverAfter === undefined
          ? {}
          : { serverCpuMs: serverAfter - serverBefore }),
        failed,
        minSharePct: Math.min(...shares),
        maxSharePct: Math.max(...shares),
        ...Object.fromEntries(
          started.map((p) => [`triggers.${p.instanceId}`, perInstance.get(p.instanceId) ?? 0]),
        ),
      },
      notes,
    };
  } finally {
    await log?.close();
    await fleet.stopAll();
    await dropPgSchema(schema);
  }
}
