/**
 * Retention on a long log: file size before and after archiving, the archive run's time,
 * the segment's size and gzip ratio, and the time to verify archive and live log as one
 * chain.
 *
 *   npx tsx bench/experiments/archive.ts 1000000
 *
 * The log holds `n` entries of settled history (100 tasks; each occurrence scheduled,
 * triggered, completed) stamped over 100 days, plus 100 pending occurrences; every entry
 * older than 10 days is archived. It is written once under /tmp and copied per run.
 */

import { copyFileSync, createReadStream, existsSync, rmSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import { parseTask } from '../../src/domain/validateTask.js';
import type { NewEvent } from '../../src/log/events.js';
import { streams } from '../../src/log/events.js';
import { verifyArchive } from '../../src/log/verifyArchive.js';
import { archiveLog, sqliteStore } from '../../src/sqlite/index.js';
import { settledRun } from '../lib/settledRun.js';

const DAY = 86_400_000;
const EPOCH = Date.parse('2026-01-05T08:00:00.000Z');
const SPAN_DAYS = 100;
const KEEP_DAYS = 10;
const NOW = EPOCH + SPAN_DAYS * DAY;

async function write(path: string, n: number): Promise<void> {
  if (existsSync(path)) return;
  let now = EPOCH;
  const store = await sqliteStore({ path, synchronous: 'NORMAL', clock: { now: () => now } });
  const tasks: NewEvent[] = [];
  for (let t = 0; t < 100; t++) {
    const task = parseTask({ id: `task-${t}`, title: `Task ${t}` }, undefined, new Date(EPOCH));
    tasks.push({ type: 'task.defined', stream: streams.task(task.id), data: { task } });
  }
  await store.append(tasks);
  const occurrences = Math.ceil((n - 200) / 3);
  for (let k = 0; k < occurrences; k += 1000) {
    const batch: NewEvent[] = [];
    for (let j = k; j < Math.min(occurrences, k + 1000); j++) {
      const occ = makeOccurrence({
        taskId: `task-${j % 100}`,
        cause: 'initial',
        scheduledFor: new Date(EPOCH + Math.floor((j * SPAN_DAYS * DAY) / occurrences)),
      });
      batch.push(...settledRun(occ));
    }
    now = EPOCH + Math.floor((k * SPAN_DAYS * DAY) / occurrences);
    await store.append(batch);
  }
  now = NOW - DAY;
  await store.append(
    Array.from({ length: 100 }, (_, k) => {
      const occurrence = makeOccurrence({
        taskId: `task-${k}`,
        cause: 'initial',
        scheduledFor: new Date(NOW + DAY + k * 60_000),
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

const sizeOf = (path: string): number =>
  [path, `${path}-wal`].reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0);

async function unzippedBytes(file: string): Promise<number> {
  let bytes = 0;
  for await (const chunk of createReadStream(file).pipe(createGunzip())) {
    bytes += (chunk as Buffer).length;
  }
  return bytes;
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

for (const arg of process.argv.slice(2)) {
  const n = Number(arg);
  const source = `/tmp/planflow-archive-h${n}.db`;
  await write(source, n);
  const path = `/tmp/planflow-archive-run-${n}.db`;
  rmSync(`${path}.archive`, { recursive: true, force: true });
  copyFileSync(source, path);
  const before = sizeOf(path);
  const clock = { now: () => NOW };
  let t = performance.now();
  const result = await archiveLog(path, { before: NOW - KEEP_DAYS * DAY, clock });
  const archiveMs = performance.now() - t;
  const segment = result.segment!;
  const afterArchive = sizeOf(path);
  const segmentPath = result.path!;
  const text = await unzippedBytes(segmentPath);
  const store = await sqliteStore({ path, clock });
  t = performance.now();
  const live = await store.verify({ full: true });
  const liveMs = performance.now() - t;
  t = performance.now();
  const whole = await verifyArchive([segmentPath], store);
  const wholeMs = performance.now() - t;
  await store.close();
  // The same file, compacted.
  const compacted = `${path}.vacuum`;
  copyFileSync(source, compacted);
  rmSync(`${compacted}.archive`, { recursive: true, force: true });
  t = performance.now();
  const vacuumed = await archiveLog(compacted, {
    before: NOW - KEEP_DAYS * DAY,
    clock,
    vacuum: true,
  });
  const vacuumMs = performance.now() - t;
  console.log(
    JSON.stringify(
      {
        entries: n,
        archived: segment.count,
        pruned: result.prunedOccurrences,
        fileBefore: mb(before),
        fileAfter: mb(afterArchive),
        fileAfterVacuum: mb(vacuumed.bytesAfter),
        archiveRun: s(archiveMs),
        archiveRunWithVacuum: s(vacuumMs),
        segment: mb(segment.bytes),
        segmentText: mb(text),
        gzipRatio: (text / segment.bytes).toFixed(1),
        bytesPerArchivedEntry: (segment.bytes / segment.count).toFixed(1),
        verifyLive: `${s(liveMs)} (${live.ok ? 'ok' : 'FAILED'})`,
        verifyArchiveAndLive: `${s(wholeMs)} (${whole.ok ? 'ok' : 'FAILED'})`,
      },
      null,
      2,
    ),
  );
  for (const f of [path, compacted]) {
    for (const side of ['', '-wal', '-shm']) rmSync(`${f}${side}`, { force: true });
    rmSync(`${f}.archive`, { recursive: true, force: true });
  }
}
