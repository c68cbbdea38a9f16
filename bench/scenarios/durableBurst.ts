import type { Occurrence } from '../../src/domain/types.js';
import { type NewEvent, streams } from '../../src/log/events.js';
import { wallNow } from '../lib/clock.js';
import type { ChildOutput, JobParams } from '../lib/job.js';
import { pendingLog } from '../lib/pendingLog.js';
import { pollUntil, settlesBy } from '../lib/pollUntil.js';
import { openRawDatabase, prepareRawInsert, type Row, rowsFor } from '../lib/rawRows.js';
import { scratchDir } from '../lib/scratch.js';
import { CPU_LEAD_MS, processCpuMs, serverCpuOf } from '../lib/serverCpu.js';
import { DURABLE_SETTINGS } from '../subjects/durableSettings.js';
import { loadDurableSubject } from '../subjects/durableSubjects.js';

/** Rows per commit of the floor: PlanFlow's claims of one timer wake-up (`maxFiresPerWake`). */
const FLOOR_BATCH = Number(DURABLE_SETTINGS['raw-sqlite-floor']!.settings.rowsPerCommit);

/** What PlanFlow records for each job of the burst: its trigger, then its outcome. */
export function outcomeEvents(occurrence: Occurrence): readonly [NewEvent, NewEvent] {
  const stream = streams.occurrence(occurrence.id);
  return [
    {
      type: 'occurrence.triggered',
      stream,
      data: {
        occurrenceId: occurrence.id,
        attempt: 0,
        idempotencyKey: `pf:${occurrence.taskId}:${occurrence.id}`,
        lateByMs: 0,
      },
    },
    { type: 'occurrence.completed', stream, data: { occurrenceId: occurrence.id, durationMs: 0 } },
  ];
}

/**
 * The physical floor of a durable burst: the very rows PlanFlow writes for `n` triggers and
 * `n` outcomes (ids, hash chain and JSON text built beforehand, after the log of `n` pending
 * occurrences), inserted with better-sqlite3 under `synchronous = FULL`. At-most-once needs
 * a trigger durable before its handler runs and the outcome after, so per batch of
 * {@link FLOOR_BATCH} jobs: one commit of triggers, then one commit of outcomes.
 */
async function rawFloor(n: number): Promise<ChildOutput> {
  const pending = pendingLog(n, Date.now() + 60_000);
  const occurrences = pending.flatMap((event) =>
    event.type === 'occurrence.scheduled' ? [event.data.occurrence] : [],
  );
  const rows = await rowsFor([...pending, ...occurrences.flatMap(outcomeEvents)]);
  const scratch = scratchDir();
  try {
    const db = openRawDatabase(scratch.file('floor.db'), 'FULL');
    const insert = prepareRawInsert(db);
    const commit = db.transaction((chunk: readonly Row[]) => {
      for (const row of chunk) insert.run(...row);
    });
    commit(rows.slice(0, pending.length));
    const triggers = rows.slice(pending.length).filter((_, i) => i % 2 === 0);
    const outcomes = rows.slice(pending.length).filter((_, i) => i % 2 === 1);
    const started = performance.now();
    const cpuBefore = processCpuMs();
    for (let i = 0; i < n; i += FLOOR_BATCH) {
      commit(triggers.slice(i, i + FLOOR_BATCH));
      commit(outcomes.slice(i, i + FLOOR_BATCH));
    }
    const allDoneMs = performance.now() - started;
    const cpuMs = processCpuMs() - cpuBefore;
    db.close();
    return { metrics: { allDoneMs, jobsPerSec: (n * 1000) / allDoneMs, cpuMs }, notes: [] };
  } finally {
    scratch.remove();
  }
}

/**
 * Durable Burst: `n` jobs due at the same instant, stored `leadMs` ahead, end to end until the
 * store records the last one done. Times run from the due instant: the first and the last
 * handler entry, and the moment the count of recorded completions reached `n`.
 */
export async function runDurableBurst(
  subjectName: string,
  params: JobParams,
): Promise<ChildOutput> {
  const n = Number(params.n);
  if (subjectName === 'raw-sqlite-floor') return rawFloor(n);
  const subject = await loadDurableSubject(subjectName);
  const ns = subject.namespace();
  const queue = await subject.open(ns);
  const notes: string[] = [];
  try {
    const dueMs = Math.ceil(Date.now() + Number(params.leadMs));
    const dues = new Float64Array(n).fill(dueMs);
    let ran = 0;
    let firstRun = Number.NaN;
    let lastRun = Number.NaN;
    let allRan: () => void = () => {};
    const ranAll = new Promise<void>((resolve) => {
      allRan = resolve;
    });
    const arm = await queue.prepare(dues);
    await queue.startWorker(() => {
      const now = wallNow();
      if (ran === 0) firstRun = now;
      if (++ran === n) {
        lastRun = now;
        allRan();
      }
    });
    const server = serverCpuOf(subjectName);
    let cpuAtDue = Number.NaN;
    let serverAtDue: number | undefined;
    const atDue = setTimeout(
      () => {
        cpuAtDue = processCpuMs();
        serverAtDue = server();
      },
      dueMs - CPU_LEAD_MS - Date.now(),
    );
    const armStarted = performance.now();
    await arm();
    const armMs = performance.now() - armStarted;
    if (Date.now() > dueMs)
      notes.push(`arming ended ${Date.now() - dueMs} ms after the due instant`);
    const deadline = dueMs + 120_000;
    if (!(await settlesBy(ranAll, deadline))) notes.push(`only ${ran} of ${n} ran within 120 s`);
    const recorded = await pollUntil(async () => (await queue.doneCount()) >= n, deadline, 5);
    const doneAt = wallNow();
    if (!recorded) notes.push(`only ${await queue.doneCount()} of ${n} recorded done`);
    const cpuMs = processCpuMs() - cpuAtDue;
    const serverNow = server();
    clearTimeout(atDue);
    const allDoneMs = doneAt - dueMs;
    return {
      metrics: {
        allDoneMs,
        jobsPerSec: (n * 1000) / allDoneMs,
        allRunMs: lastRun - dueMs,
        firstLateMs: firstRun - dueMs,
        armMs,
        cpuMs,
        ...(serverNow === undefined || serverAtDue === undefined
          ? {}
          : { serverCpuMs: serverNow - serverAtDue }),
      },
      notes,
    };
  } finally {
    await queue.close();
    await subject.drop(ns);
  }
}
