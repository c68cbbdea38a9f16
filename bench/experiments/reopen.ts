/**
 * Reopen of a long log with few live occurrences: how long from process start until a
 * scheduler on it is ready, and the heap then, for histories of different lengths.
 *
 *   npx tsx bench/experiments/reopen.ts 100000 1000000
 *
 * Each log holds `n` entries of settled history (bench/lib/sampleLog.ts) plus 100 pending
 * occurrences; it is written once under /tmp and reopened in a fresh process per round.
 */

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import { parseTask } from '../../src/domain/validateTask.js';
import type { NewEvent } from '../../src/log/events.js';
import { streams } from '../../src/log/events.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import { settledRun } from '../lib/settledRun.js';

const PENDING = Number(process.env.PENDING ?? 100);

const EPOCH = Date.parse('2026-01-05T08:00:00.000Z');

/** `n` entries of settled history: 100 tasks, each occurrence scheduled, triggered, completed. */
function history(n: number): NewEvent[] {
  const events: NewEvent[] = [];
  for (let t = 0; t < PENDING; t++) {
    const task = parseTask(
      { id: `task-${t}`, title: `Task ${t}`, handler: 'work' },
      undefined,
      new Date(EPOCH),
    );
    events.push({ type: 'task.defined', stream: streams.task(task.id), data: { task } });
  }
  for (let k = 0; events.length < n; k++) {
    const occ = makeOccurrence({
      taskId: `task-${k % PENDING}`,
      cause: 'initial',
      scheduledFor: new Date(EPOCH + 60_000 + k * 1_000),
    });
    events.push(...settledRun(occ));
  }
  return events.slice(0, n);
}

async function write(path: string, n: number): Promise<void> {
  if (existsSync(path)) return;
  const store = await sqliteStore({ path, synchronous: 'NORMAL' });
  const events = history(n);
  for (let start = 0; start < n; start += 10_000) {
    await store.append(events.slice(start, start + 10_000));
  }
  const far = Date.parse('2027-01-01T00:00:00Z');
  await store.append(
    Array.from({ length: PENDING }, (_, k) => {
      const occurrence = makeOccurrence({
        taskId: `task-${k}`,
        cause: 'initial',
        scheduledFor: new Date(far + k * 60_000),
      });
      return {
        type: 'occurrence.scheduled' as const,
        stream: streams.occurrence(occurrence.id),
        data: { occurrence },
      };
    }),
  );
  await store.close();
}

if (process.argv[2] === '--child') {
  const { createScheduler } = await import('../../src/scheduler/createScheduler.js');
  const path = process.argv[3]!;
  const openedAt = performance.now();
  const store = await sqliteStore({ path });
  const scheduler = createScheduler({ store });
  await scheduler.ready;
  const readyMs = performance.now();
  globalThis.gc?.();
  const heapMB = process.memoryUsage().heapUsed / 2 ** 20;
  const live = (await scheduler.listExecutions({ state: 'scheduled' })).items.length;
  await store.close();
  console.log(JSON.stringify({ readyMs, openMs: readyMs - openedAt, heapMB, live }));
  process.exit(0);
}

for (const arg of process.argv.slice(2)) {
  const n = Number(arg);
  const path = `/tmp/planflow-reopen-h${n}-p${PENDING}.db`;
  await write(path, n);
  const runs: { readyMs: number; openMs: number; heapMB: number; live: number }[] = [];
  for (let round = 0; round < 3; round++) {
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', path],
      { encoding: 'utf8' },
    );
    runs.push(JSON.parse(out.trim().split('\n').pop()!));
  }
  const ready = runs.map((r) => r.readyMs.toFixed(0)).join(' / ');
  const open = runs.map((r) => r.openMs.toFixed(0)).join(' / ');
  const heap = runs.map((r) => r.heapMB.toFixed(1)).join(' / ');
  console.log(
    `${n} entries + ${PENDING} pending: ready ${open} ms after sqliteStore() was called (${ready} ms after process start), heap ${heap} MB, live ${runs[0]!.live}`,
  );
}
