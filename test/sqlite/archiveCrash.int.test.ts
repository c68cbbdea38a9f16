import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import { parseTask } from '../../src/domain/validateTask.js';
import type { ArchiveStep } from '../../src/log/ArchivingStore.js';
import { type NewEvent, type StoredEvent, streams } from '../../src/log/events.js';
import { readArchive } from '../../src/log/readArchive.js';
import { verifyArchive } from '../../src/log/verifyArchive.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import { liveEntries, rebuiltOverArchive, viewOf } from '../helpers/archiveFixtures.js';
import { type LineChild, spawnLineChild } from '../helpers/lineChild.js';
import { inlineView } from '../helpers/projectionViews.js';

const CHILD = join(import.meta.dirname, '..', 'fixtures', 'archiveChild.ts');
const DAY = 86_400_000;
const T0 = Date.parse('2026-03-02T08:00:00.000Z');
/** The child's clock: ten days after the log began, so seven days of it are archived. */
const NOW = T0 + 10 * DAY;
const ENTRIES = 20_000;

const dir = mkdtempSync(join(tmpdir(), 'planflow-archive-crash-'));
const pristine = join(dir, 'pristine.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 20 000 entries over ten days: ten tasks, occurrences scheduled, triggered and completed. */
beforeAll(async () => {
  let now = T0;
  const store = await sqliteStore({
    path: pristine,
    clock: { now: () => now },
    synchronous: 'NORMAL',
  });
  const events: NewEvent[] = [];
  for (let t = 0; t < 10; t++) {
    const task = parseTask({ id: `task-${t}`, title: `Task ${t}` }, undefined, new Date(T0));
    events.push({ type: 'task.defined', stream: streams.task(task.id), data: { task } });
  }
  await store.append(events);
  for (let k = 0; (await store.head()).seq < ENTRIES; k++) {
    now = T0 + Math.floor((k * 10 * DAY) / (ENTRIES / 3));
    const occurrence = makeOccurrence({
      taskId: `task-${k % 10}`,
      cause: 'initial',
      scheduledFor: new Date(now),
    });
    const stream = streams.occurrence(occurrence.id);
    const occurrenceId = occurrence.id;
    await store.append([
      { type: 'occurrence.scheduled', stream, data: { occurrence } },
      {
        type: 'occurrence.triggered',
        stream,
        data: { occurrenceId, attempt: 0, idempotencyKey: `pf:${occurrenceId}`, lateByMs: 0 },
      },
      { type: 'occurrence.completed', stream, data: { occurrenceId, durationMs: 3 } },
    ]);
  }
  await store.close();
}, 120_000);

/** Starts the child on `path`; `kill` decides, from each line it prints, when to SIGKILL it. */
function start(
  path: string,
  phase: ArchiveStep | 'none',
  kill: (line: string) => boolean,
): LineChild {
  return spawnLineChild(CHILD, [path, phase, String(NOW)], (line, child) => {
    if (kill(line)) child.kill('SIGKILL');
  });
}

async function allEntries(path: string): Promise<StoredEvent[]> {
  const store = await sqliteStore({ path, readOnly: true });
  try {
    const files = (await store.segments()).map((s) => join(s.dir, s.file));
    const archived: StoredEvent[] = [];
    for await (const batch of readArchive(files)) archived.push(...batch);
    return [...archived, ...(await liveEntries(store))];
  } finally {
    await store.close();
  }
}

/** What a reader must find after the kill, wherever it landed: nothing lost, all sound. */
async function checkAfterKill(path: string, original: readonly StoredEvent[]) {
  // A writing open with the full check: it must accept the file (and tidies leftovers).
  const store = await sqliteStore({ path, verifyOnOpen: 'full', clock: { now: () => NOW } });
  const recorded = await store.segments();
  const files = recorded.map((s) => join(s.dir, s.file));
  expect(await verifyArchive(files, store)).toMatchObject({ ok: true });
  const archiveDir = `${path}.archive`;
  // A kill before the run made its directory (a loaded machine may not get that far) leaves none.
  const onDisk = existsSync(archiveDir)
    ? readdirSync(archiveDir, { withFileTypes: true }).map((e) => e.name)
    : [];
  expect(onDisk.sort()).toEqual(recorded.map((s) => s.file).sort());
  expect(await viewOf(await rebuiltOverArchive(store, files), store)).toEqual(
    await inlineView(store),
  );
  await store.close();
  const now = await allEntries(path);
  // Every entry there was is still there, unchanged: in a segment or in the live log.
  expect(now.slice(0, original.length).map((e) => [e.seq, e.hash])).toEqual(
    original.map((e) => [e.seq, e.hash]),
  );
  expect(now.length - original.length).toBe(recorded.length);
  // And the next run (in this process) completes what the killed one did not.
  const again = await sqliteStore({ path, clock: { now: () => NOW } });
  const result = await again.archive({ before: NOW - 3 * DAY });
  const segments = (await again.segments()).map((s) => join(s.dir, s.file));
  expect(await verifyArchive(segments, again)).toMatchObject({ ok: true });
  expect(recorded.length > 0 || result.segment !== undefined).toBe(true);
  await again.close();
  return recorded.length;
}

describe('an archive run under SIGKILL', () => {
  let original: StoredEvent[];
  beforeAll(async () => {
    original = await allEntries(pristine);
    expect(original.length).toBeGreaterThanOrEqual(ENTRIES);
  });

  const steps: readonly [ArchiveStep, number][] = [
    ['segment-written', 0],
    ['segment-sealed', 0],
    ['recording', 0],
    ['recorded', 1],
  ];
  it.each(steps)(
    'killed at %s loses nothing and reopens cleanly',
    async (step, segments) => {
      const path = join(dir, `${step}.db`);
      copyFileSync(pristine, path);
      const life = start(path, step, (line) => line === `step ${step}`);
      const lines = await life.exit;
      expect(lines).toContain(`step ${step}`);
      expect(lines).not.toContain('done');
      expect(await checkAfterKill(path, original)).toBe(segments);
    },
    60_000,
  );

  it('killed at random moments of the run loses nothing', async () => {
    const outcomes: number[] = [];
    for (let life = 0; life < 4; life++) {
      const path = join(dir, `random-${life}.db`);
      copyFileSync(pristine, path);
      const delay = 20 + Math.random() * 400;
      const current = start(path, 'none', (line) => {
        if (line === 'opened') setTimeout(() => current.child.kill('SIGKILL'), delay);
        return false;
      });
      await current.exit;
      outcomes.push(await checkAfterKill(path, original));
    }
    expect(outcomes.every((n) => n === 0 || n === 1)).toBe(true);
  }, 120_000);
});
