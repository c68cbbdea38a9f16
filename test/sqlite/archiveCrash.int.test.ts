import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { StoredEvent } from '../../src/log/events.js';
import { verifyArchive } from '../../src/log/verifyArchive.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import {
  ARCHIVE_CRASH,
  archivedAndLive,
  describeArchiveKills,
  expectNothingLost,
  writeCrashLog,
} from '../helpers/archiveCrash.js';
import { spawnLineChild } from '../helpers/lineChild.js';

const CHILD = join(import.meta.dirname, '..', 'fixtures', 'archiveChild.ts');
const { T0, NOW, BEFORE } = ARCHIVE_CRASH;
const ENTRIES = 20_000;

const dir = mkdtempSync(join(tmpdir(), 'planflow-archive-crash-'));
const pristine = join(dir, 'pristine.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fileOf = (segment: Readonly<{ dir: string; file: string }>) =>
  join(segment.dir, segment.file);

/** 20 000 entries over ten days, one occurrence an append. */
beforeAll(async () => {
  let now = T0;
  const store = await sqliteStore({
    path: pristine,
    clock: { now: () => now },
    synchronous: 'NORMAL',
  });
  await writeCrashLog(store, (ms) => (now = ms), ENTRIES, 1);
  await store.close();
}, 120_000);

async function allEntries(path: string): Promise<StoredEvent[]> {
  const store = await sqliteStore({ path, readOnly: true });
  try {
    return await archivedAndLive(store, fileOf);
  } finally {
    await store.close();
  }
}

/** What a reader must find after the kill, wherever it landed: nothing lost, all sound. */
async function checkAfterKill(path: string, original: readonly StoredEvent[]) {
  // A writing open with the full check: it must accept the file (and tidies leftovers).
  const store = await sqliteStore({ path, verifyOnOpen: 'full', clock: { now: () => NOW } });
  const archiveDir = `${path}.archive`;
  // A kill before the run made its directory (a loaded machine may not get that far) leaves none.
  const onDisk = existsSync(archiveDir)
    ? readdirSync(archiveDir, { withFileTypes: true }).map((e) => e.name)
    : [];
  expect(onDisk.sort()).toEqual((await store.segments()).map((s) => s.file).sort());
  const recorded = await expectNothingLost(store, fileOf, original);
  await store.close();
  // And the next run (in this process) completes what the killed one did not.
  const again = await sqliteStore({ path, clock: { now: () => NOW } });
  const result = await again.archive({ before: BEFORE });
  const segments = (await again.segments()).map(fileOf);
  expect(await verifyArchive(segments, again)).toMatchObject({ ok: true });
  expect(recorded > 0 || result.segment !== undefined).toBe(true);
  await again.close();
  return recorded;
}

describeArchiveKills('an archive run under SIGKILL', {
  original: async () => {
    const entries = await allEntries(pristine);
    expect(entries.length).toBeGreaterThanOrEqual(ENTRIES);
    return entries;
  },
  copy: async (name) => {
    const path = join(dir, `${name}.db`);
    copyFileSync(pristine, path);
    return path;
  },
  start: (path, phase, onLine) => spawnLineChild(CHILD, [path, phase, String(NOW)], onLine),
  check: checkAfterKill,
});
