import { copyFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CorruptLogError, isPlanflowError } from '../../src/domain/errors.js';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import { streams } from '../../src/log/events.js';
import { inspectLog } from '../../src/sqlite/inspectLog.js';
import { repairLog } from '../../src/sqlite/repair.js';
import { sqliteStore } from '../../src/sqlite/sqliteStore.js';
import {
  btreePages,
  clock,
  flipByte,
  logWithTriggers,
  raw,
  readAll,
  rejection,
  started,
  TRIGGER_INDEX,
  triggered,
  triggerKeyOffset,
  useTempLogPaths,
} from '../helpers/sqliteFixtures.js';

const newPath = useTempLogPaths();

/** Opens `path` and tries a second trigger for `o0`; what happened to at-most-once. */
async function secondTrigger(
  path: string,
  stream = 'o0',
): Promise<'refused on open' | 'rejected' | 'ACCEPTED'> {
  let store: Awaited<ReturnType<typeof sqliteStore>>;
  try {
    // The page-level check runs with 'full'; the default checks the chain since its mark.
    store = await sqliteStore({ path, clock, verifyOnOpen: 'full' });
  } catch (error) {
    expect(error).toBeInstanceOf(CorruptLogError);
    return 'refused on open';
  }
  try {
    const error = await rejection(store.append([triggered(stream)]));
    if (error === undefined) return 'ACCEPTED';
    expect(isPlanflowError(error)).toBe(true);
    return 'rejected';
  } finally {
    await store.close();
  }
}

describe('sqliteStore › finding 3: a damaged trigger index never switches at-most-once off', () => {
  it('refuses a log whose one-trigger index was dropped, naming it, with or without verifyOnOpen', async () => {
    const path = await logWithTriggers(newPath(), 20);
    raw(path, `DROP INDEX ${TRIGGER_INDEX}`);
    for (const verifyOnOpen of [true, false]) {
      const error = await rejection(sqliteStore({ path, clock, verifyOnOpen }));
      expect(error).toBeInstanceOf(CorruptLogError);
      expect(error).toMatchObject({ damage: 'schema', path, code: 'planflow:corrupt-log' });
      expect((error as Error).message).toMatch(
        /index events_one_trigger_per_stream \(the unique index that keeps an occurrence from triggering twice \(at-most-once\)\) is missing.*repairLog/,
      );
    }
    expect(await secondTrigger(path)).toBe('refused on open');
  });

  it('refuses an index that is no longer unique, and an extra trigger on the table', async () => {
    const weakened = await logWithTriggers(newPath(), 5);
    raw(weakened, `DROP INDEX ${TRIGGER_INDEX}`);
    raw(weakened, `CREATE INDEX ${TRIGGER_INDEX} ON events (stream)`);
    expect(await rejection(sqliteStore({ path: weakened, clock }))).toMatchObject({
      damage: 'schema',
      message: expect.stringMatching(/was changed: expected CREATE UNIQUE INDEX/),
    });
    const rigged = await logWithTriggers(newPath(), 5);
    raw(rigged, 'CREATE TRIGGER erase AFTER INSERT ON events BEGIN SELECT 1; END');
    expect(await rejection(sqliteStore({ path: rigged, clock }))).toMatchObject({
      damage: 'schema',
      message: expect.stringMatching(/trigger erase is not part of a PlanFlow log/),
    });
  });

  it('refuses a log with one flipped byte inside a key of the index, which would accept a second trigger', async () => {
    const path = await logWithTriggers(newPath(), 400);
    flipByte(path, triggerKeyOffset(path));
    const error = await rejection(sqliteStore({ path, clock, verifyOnOpen: 'full' }));
    expect(error).toMatchObject({ damage: 'file', code: 'planflow:corrupt-log' });
    expect((error as Error).message).toMatch(/integrity check.*events_one_trigger_per_stream/s);
    // Without the check the damage is real: the store would take the duplicate.
    const unchecked = await sqliteStore({ path, clock, verifyOnOpen: false });
    const keys = await readAll(unchecked);
    await unchecked.close();
    expect(keys.filter((e) => e.type === 'occurrence.triggered')).toHaveLength(400);
  });

  it('never accepts a second trigger whatever single byte of the index pages flips', async () => {
    const pristine = await logWithTriggers(newPath(), 400);
    const { pageSize, pages } = btreePages(pristine, TRIGGER_INDEX);
    expect(pages.length).toBeGreaterThan(1);
    const outcomes = new Map<string, number>();
    const path = newPath();
    // Every 53rd byte of every index page: headers, cell pointers, keys and free space.
    for (const page of pages) {
      for (let at = 0; at < pageSize; at += 53) {
        copyFileSync(pristine, path);
        flipByte(path, (page.pageno - 1) * pageSize + at);
        const outcome = await secondTrigger(path);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    }
    expect(outcomes.get('ACCEPTED')).toBeUndefined();
    expect(outcomes.get('refused on open')).toBeGreaterThan(0);
  });
});

describe('sqliteStore › at-most-once without the page-level check', () => {
  it('refuses a second trigger of a recorded occurrence even when the unique index no longer holds its key', async () => {
    const path = newPath();
    const store = await sqliteStore({ path, clock });
    const occurrence = makeOccurrence({
      taskId: 't',
      cause: 'initial',
      scheduledFor: '2026-03-02T09:00:00.000Z',
    });
    const stream = streams.occurrence(occurrence.id);
    await store.append([{ type: 'occurrence.scheduled', stream, data: { occurrence } }]);
    await store.append([triggered(occurrence.id)]);
    await store.close();
    // The unique index no longer holds the trigger's key (here: its row is gone with it), but
    // the read model still knows the occurrence ran.
    raw(path, `DELETE FROM events WHERE type = 'occurrence.triggered'`);
    const reopened = await sqliteStore({ path, clock, verifyOnOpen: false });
    try {
      const error = await rejection(reopened.append([triggered(occurrence.id)]));
      expect(error).toMatchObject({ code: 'planflow:already-triggered' });
    } finally {
      await reopened.close();
    }
  });
});

describe('repairLog › damage below the chain', () => {
  it('rebuilds a log whose index was dropped, keeps every entry and the original as a backup', async () => {
    const path = await logWithTriggers(newPath(), 20);
    raw(path, `DROP INDEX ${TRIGGER_INDEX}`);
    const result = await repairLog(path, { clock });
    expect(result).toMatchObject({ method: 'rebuild', keptEntries: 21, removedEntries: 0 });
    expect(result.problems.join()).toMatch(/events_one_trigger_per_stream.*is missing/);
    expect((await inspectLog(result.backupPath)).storageProblems).not.toEqual([]);
    expect(await inspectLog(path)).toMatchObject({ ok: true, chain: { entries: 21 } });
    expect(await secondTrigger(path)).toBe('rejected');
  });

  it('drops a second trigger that got in while the index was missing, and what follows it', async () => {
    const path = await logWithTriggers(newPath(), 3);
    raw(path, `DROP INDEX ${TRIGGER_INDEX}`);
    // Appended the way today's main did: the log opened and took the duplicate.
    const { default: Database } = await import('better-sqlite3');
    const { prepareLogStatements } = await import('../../src/sqlite/logStatements.js');
    const { createGroupCommit } = await import('../../src/sqlite/groupCommit.js');
    const { SqliteProjection } = await import('../../src/sqlite/sqliteProjection.js');
    const { VerifiedMark } = await import('../../src/sqlite/VerifiedMark.js');
    const { draftEvents } = await import('../../src/log/prepareAppend.js');
    const db = new Database(path);
    const commits = createGroupCommit(
      db,
      prepareLogStatements(db),
      new SqliteProjection(db),
      new VerifiedMark(db),
      'test',
      path,
    );
    for (const event of [triggered('o1'), started('after')]) {
      await new Promise((resolve, reject) =>
        commits.enqueue({
          drafts: draftEvents('test', [event]),
          expectedSeq: undefined,
          time: '2026-03-02T08:00:00.000Z',
          resolve,
          reject,
        }),
      );
    }
    db.close();
    const result = await repairLog(path, { clock });
    expect(result).toMatchObject({ method: 'rebuild', keptEntries: 4, removedEntries: 2 });
    expect(result.problems.join()).toMatch(
      /entry #5 is a second occurrence.triggered for stream "occurrence:o1"/,
    );
    expect(await inspectLog(path)).toMatchObject({ ok: true, chain: { entries: 4 } });
  });

  it('rebuilds a log with a flipped byte in the index and keeps every entry', async () => {
    const path = await logWithTriggers(newPath(), 400);
    flipByte(path, triggerKeyOffset(path));
    const result = await repairLog(path, { clock });
    expect(result).toMatchObject({ method: 'rebuild', keptEntries: 401, removedEntries: 0 });
    expect(existsSync(result.backupPath)).toBe(true);
    expect(await secondTrigger(path)).toBe('rejected');
  });
});
