import type { ChildProcess } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import { parseTask } from '../../src/domain/validateTask.js';
import type { ArchiveStep, ArchivingStore } from '../../src/log/ArchivingStore.js';
import { type NewEvent, type StoredEvent, streams } from '../../src/log/events.js';
import { readArchive } from '../../src/log/readArchive.js';
import { verifyArchive } from '../../src/log/verifyArchive.js';
import { liveEntries, rebuiltOverArchive, viewOf } from './archiveFixtures.js';
import type { LineChild } from './lineChild.js';
import { inlineView } from './projectionViews.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-02T08:00:00.000Z');

/**
 * What the archive crash tests (SQLite's and PostgreSQL's) share: the log's first day, the
 * children's clock — ten days after it began, so the run archives seven days — and the
 * steps a child is killed at, with the segments recorded when it dies there.
 */
export const ARCHIVE_CRASH = Object.freeze({
  T0,
  NOW: T0 + 10 * DAY,
  /** The cutoff of every run: three days before the children's clock. */
  BEFORE: T0 + 7 * DAY,
  STEPS: [
    ['segment-written', 0],
    ['segment-sealed', 0],
    ['recording', 0],
    ['recorded', 1],
  ] as readonly (readonly [ArchiveStep, number])[],
});

/**
 * Fills `store` with the log the crash tests archive: ten tasks, then occurrences scheduled,
 * triggered and completed, stamped evenly over ten days until the head reaches `entries`,
 * `perAppend` occurrences an append.
 */
export async function writeCrashLog(
  store: ArchivingStore,
  setNow: (ms: number) => void,
  entries: number,
  perAppend: number,
): Promise<void> {
  const tasks: NewEvent[] = [];
  for (let t = 0; t < 10; t++) {
    const task = parseTask({ id: `task-${t}`, title: `Task ${t}` }, undefined, new Date(T0));
    tasks.push({ type: 'task.defined', stream: streams.task(task.id), data: { task } });
  }
  await store.append(tasks);
  for (let k = 0; (await store.head()).seq < entries; k += perAppend) {
    const now = T0 + Math.floor((k * 10 * DAY) / (entries / 3));
    setNow(now);
    const events: NewEvent[] = [];
    for (let i = k; i < k + perAppend; i++) {
      const occurrence = makeOccurrence({
        taskId: `task-${i % 10}`,
        cause: 'initial',
        scheduledFor: new Date(now + i - k),
      });
      const stream = streams.occurrence(occurrence.id);
      const occurrenceId = occurrence.id;
      events.push(
        { type: 'occurrence.scheduled', stream, data: { occurrence } },
        {
          type: 'occurrence.triggered',
          stream,
          data: { occurrenceId, attempt: 0, idempotencyKey: `pf:${occurrenceId}`, lateByMs: 0 },
        },
        { type: 'occurrence.completed', stream, data: { occurrenceId, durationMs: 3 } },
      );
    }
    await store.append(events);
  }
}

/** Every entry of the log: those of its recorded segments (`fileOf` finds each), then the live ones. */
export async function archivedAndLive(
  store: ArchivingStore,
  fileOf: (segment: Readonly<{ dir: string; file: string }>) => string,
): Promise<StoredEvent[]> {
  const files = (await store.segments()).map(fileOf);
  const archived: StoredEvent[] = [];
  for await (const batch of readArchive(files)) archived.push(...batch);
  return [...archived, ...(await liveEntries(store))];
}

/**
 * What a killed run must leave, on a store opened with the full check: its recorded segments
 * and the live log verify as one chain, the read model equals a rebuild over both, and every
 * entry there was is still there with its hash, plus one `log.archived` per segment. Returns
 * how many segments are recorded.
 */
export async function expectNothingLost(
  store: ArchivingStore,
  fileOf: (segment: Readonly<{ dir: string; file: string }>) => string,
  original: readonly StoredEvent[],
): Promise<number> {
  const recorded = await store.segments();
  const files = recorded.map(fileOf);
  expect(await verifyArchive(files, store)).toMatchObject({ ok: true });
  expect(await viewOf(await rebuiltOverArchive(store, files), store)).toEqual(
    await inlineView(store),
  );
  const now = await archivedAndLive(store, fileOf);
  expect(now.slice(0, original.length).map((e) => [e.seq, e.hash])).toEqual(
    original.map((e) => [e.seq, e.hash]),
  );
  expect(now.length - original.length).toBe(recorded.length);
  return recorded.length;
}

/** How a crash test runs the child on one store kind. */
export type ArchiveKillSubject<T> = Readonly<{
  /** Every entry of the pristine log, read once before the kills. */
  original: () => Promise<StoredEvent[]>;
  /** A fresh copy of the pristine log, named after the case. */
  copy: (name: string) => Promise<T>;
  /** Starts the child on `target`, frozen at `phase`; `onLine` hears each line it prints. */
  start: (
    target: T,
    phase: ArchiveStep | 'none',
    onLine: (line: string, child: ChildProcess) => void,
  ) => LineChild;
  /** The checks after the kill (see {@link expectNothingLost}); the segments recorded. */
  check: (target: T, original: readonly StoredEvent[]) => Promise<number>;
}>;

/**
 * The archive crash suite, for any store kind: a child killed with SIGKILL at each step of
 * its run, then at random moments, must leave a log that passes `check`, with the segments
 * the step says.
 */
export function describeArchiveKills<T>(title: string, subject: ArchiveKillSubject<T>): void {
  describe(title, () => {
    let original: StoredEvent[];
    beforeAll(async () => {
      original = await subject.original();
    });

    it.each(ARCHIVE_CRASH.STEPS)(
      'killed at %s loses nothing, reopens with the full check, and the next run completes',
      async (step, segments) => {
        const target = await subject.copy(step);
        const life = subject.start(target, step, (line, child) => {
          if (line === `step ${step}`) child.kill('SIGKILL');
        });
        const lines = await life.exit;
        expect(lines).toContain(`step ${step}`);
        expect(lines).not.toContain('done');
        expect(await subject.check(target, original)).toBe(segments);
      },
      60_000,
    );

    it('killed at random moments of the run loses nothing', async () => {
      const outcomes: number[] = [];
      for (let life = 0; life < 4; life++) {
        const target = await subject.copy(`random-${life}`);
        const delay = 20 + Math.random() * 400;
        const current = subject.start(target, 'none', (line, child) => {
          if (line === 'opened') setTimeout(() => child.kill('SIGKILL'), delay);
        });
        await current.exit;
        outcomes.push(await subject.check(target, original));
      }
      expect(outcomes.every((n) => n === 0 || n === 1)).toBe(true);
    }, 120_000);
  });
}
