/**
 * Retention on a long log: file size before and after archiving, the archive run's time,
 * the segment's size and gzip ratio, and the time to verify archive and live log as one
 * chain.
 *
 *   npx tsx bench/experiments/archive.ts 1000000
 *
 * The log is `bench/lib/archiveHistory.ts`'s (`n` entries of settled history over 100 days,
 * 100 pending occurrences; every entry older than 10 days is archived), written once under
 * /tmp and copied per run.
 */

import { copyFileSync, createReadStream, existsSync, rmSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { verifyArchive } from '../../src/log/verifyArchive.js';
import { archiveLog, sqliteStore } from '../../src/sqlite/index.js';
import { ARCHIVE_HISTORY, writeArchiveHistory } from '../lib/archiveHistory.js';

const { now: NOW, keepMs } = ARCHIVE_HISTORY;

async function write(path: string, n: number): Promise<void> {
  if (existsSync(path)) return;
  await writeArchiveHistory((clock) => sqliteStore({ path, synchronous: 'NORMAL', clock }), n);
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
  const result = await archiveLog(path, { before: NOW - keepMs, clock });
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
    before: NOW - keepMs,
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
