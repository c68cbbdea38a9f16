import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { parseHistoryQuery } from '../../src/domain/validateHistoryQuery.js';
import { parseOccurrenceQuery } from '../../src/domain/validateOccurrenceQuery.js';
import { MAX_PAGE_LIMIT } from '../../src/domain/validatePageRequest.js';
import type { ArchiveResult, ArchivingStore } from '../../src/log/ArchivingStore.js';
import type { StoreClock } from '../../src/log/EventStore.js';
import type { StoredEvent } from '../../src/log/events.js';
import { MemoryProjection } from '../../src/log/MemoryProjection.js';
import { memoryStore } from '../../src/log/memoryStore.js';
import { readAllPages } from '../../src/log/readAllPages.js';
import { readArchive } from '../../src/log/readArchive.js';
import type { RetentionOptions } from '../../src/log/retentionOptions.js';
import type { SegmentSource } from '../../src/log/SegmentReader.js';
import { postgresStore } from '../../src/postgres/index.js';
import { createScheduler } from '../../src/scheduler/createScheduler.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import { trackStoreWork } from '../../src/testing/storeWork.js';
import type { TestClock } from '../../src/testing/TestClock.js';
import { DAY, HOUR, MINUTE } from './harness.js';
import { dropSchema, newSchemaName, PG_URL } from './pgSchemas.js';
import type { ProjectionView } from './projectionViews.js';

/** A kind of archiving store the archive tests run against, and where its segments are. */
export type ArchiveKind = Readonly<{
  name: 'memory' | 'sqlite' | 'postgres';
  open(clock: StoreClock, retention?: RetentionOptions): Promise<ArchivingStore>;
  /** What verifyArchive and readArchive take for the segment a run sealed. */
  source(result: ArchiveResult): SegmentSource;
}>;

/**
 * Memory, SQLite (on a temp file) and PostgreSQL (in a schema of its own, segments in a temp
 * dir that its runs get as their `archiveDir` unless a test gives one), closed and removed
 * after each test. `{ postgres: false }` leaves PostgreSQL out.
 */
export function useArchiveKinds(
  options: Readonly<{ postgres?: boolean }> = {},
): readonly ArchiveKind[] {
  const dirs: string[] = [];
  const opened: ArchivingStore[] = [];
  const schemas: string[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close().catch(() => undefined);
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });
  const kinds: ArchiveKind[] = [
    {
      name: 'memory',
      open: async (clock, retention) =>
        memoryStore({ clock, ...(retention === undefined ? {} : { retention }) }),
      source: (result) => result.bytes!,
    },
    {
      name: 'sqlite',
      open: async (clock, retention) => {
        const dir = mkdtempSync(join(tmpdir(), 'planflow-archive-'));
        dirs.push(dir);
        const store = await sqliteStore({
          path: join(dir, 'log.db'),
          clock,
          synchronous: 'NORMAL',
          ...(retention === undefined ? {} : { retention }),
        });
        opened.push(store);
        return store;
      },
      source: (result) => result.path!,
    },
    {
      name: 'postgres',
      open: async (clock, retention) => {
        const dir = mkdtempSync(join(tmpdir(), 'planflow-archive-'));
        dirs.push(dir);
        const schema = newSchemaName();
        schemas.push(schema);
        const store = await postgresStore({
          connectionString: PG_URL,
          schema,
          clock,
          ...(retention === undefined ? {} : { retention: { archiveDir: dir, ...retention } }),
        });
        opened.push(store);
        // The runs of a test archive into its temp dir; tracked, so a TestClock's settle
        // waits for the store's round trips (see trackStoreWork).
        return trackStoreWork({
          ...store,
          archive: (run) => store.archive({ archiveDir: dir, ...run }),
        });
      },
      source: (result) => result.path!,
    },
  ];
  return options.postgres === false ? kinds.slice(0, 2) : kinds;
}

/** A fresh temp dir (removed after the test) for files of a test's own. */
export function useTempDirs(): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'planflow-archive-'));
    dirs.push(dir);
    return dir;
  };
}

/**
 * Runs a scheduler on `store` for `days` days of `clock`: an hourly task, a task every six
 * hours whose first attempt fails and is retried 10 minutes later, and a daily reminder —
 * settled history with retries, recurrences and follow-ups, and a live occurrence of each
 * series at the end. The scheduler is stopped at the end, half an hour before the next runs.
 * `resume`: the tasks are there already (an earlier call defined them); a scheduler is
 * restarted on them for `days` more days.
 */
export async function schedulerHistory(
  store: ArchivingStore,
  clock: TestClock,
  days: number,
  options: Readonly<{ resume?: boolean }> = {},
): Promise<void> {
  const scheduler = createScheduler({
    store,
    clock,
    // The history spans days of test time: a lease renewed every 5 s of it would cost
    // 17 000 renewals a day for nothing (no other scheduler competes here).
    leaseTtlMs: DAY,
    calendar: { timeZone: 'UTC', exclusiveInstants: false },
    handlers: {
      ok: async () => {},
      flaky: async (_occurrence, { attempt }) => {
        if (attempt === 0) throw new Error('first attempts fail');
      },
    },
  });
  await scheduler.ready;
  if (options.resume !== true) {
    const start = new Date(clock.now() + MINUTE).toISOString();
    await scheduler.defineTask({
      id: 'hourly',
      title: 'Hourly',
      handler: 'ok',
      recurrence: { everyMs: HOUR, anchor: start },
    });
    await scheduler.defineTask({
      id: 'flaky',
      title: 'Flaky',
      handler: 'flaky',
      recurrence: { everyMs: 6 * HOUR, anchor: start },
      retry: { maxRetries: 2, delayMs: 10 * MINUTE },
    });
    await scheduler.defineTask({
      id: 'daily',
      title: 'Daily',
      recurrence: { everyMs: DAY, anchor: start },
    });
  }
  await scheduler.start();
  // Stop half an hour before the next runs, with no occurrence actor armed (within the
  // horizon): stopping with armed actors makes XState warn about their done events. A
  // resumed run starts half an hour before them already.
  await clock.advanceAsync(days * DAY - (options.resume === true ? 0 : 30 * MINUTE));
  await scheduler.stop();
}

/** Every entry of `store`'s live log. */
export async function liveEntries(store: ArchivingStore): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for await (const batch of store.read()) all.push(...batch);
  return all;
}

/** Every page of an occurrence's history, as the store answers it. */
export async function historyOf(store: ArchivingStore, occurrenceId: string) {
  return readAllPages((cursor) =>
    store.queryHistory(parseHistoryQuery({ occurrenceId, limit: MAX_PAGE_LIMIT, cursor })),
  );
}

/**
 * The reference rebuild over archive and live log: every archived entry, then every live
 * one, folded from scratch into a fresh memory projection (which takes what each archive run
 * settled out where its `log.archived` entry stands).
 */
export async function rebuiltOverArchive(
  store: ArchivingStore,
  segments: readonly SegmentSource[],
): Promise<MemoryProjection> {
  const projection = new MemoryProjection();
  for await (const batch of readArchive(segments)) projection.apply(batch);
  for await (const batch of store.read()) projection.apply(batch);
  return projection;
}

/** The view the projection-views helpers compare, of a memory projection at `store`'s head. */
export async function viewOf(
  projection: MemoryProjection,
  store: ArchivingStore,
): Promise<ProjectionView> {
  const records = await readAllPages(async (cursor) =>
    projection.queryRecords(parseOccurrenceQuery({ limit: MAX_PAGE_LIMIT, cursor })),
  );
  return { live: projection.loadLive(await store.head()), records };
}
