import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CorruptLogError, ValidationError } from '../../src/domain/errors.js';
import { parseDurationOption } from '../../src/domain/validateDuration.js';
import type { ArchiveResult } from '../../src/log/ArchivingStore.js';
import { memoryStore } from '../../src/log/memoryStore.js';
import { verifyArchive } from '../../src/log/verifyArchive.js';
import { repairLog } from '../../src/sqlite/repair.js';
import { type SqliteStore, sqliteStore } from '../../src/sqlite/sqliteStore.js';
import { TestClock } from '../../src/testing/TestClock.js';
import {
  liveEntries,
  rebuiltOverArchive,
  schedulerHistory,
  useTempDirs,
  viewOf,
} from '../helpers/archiveFixtures.js';
import { DAY, HOUR, T0 } from '../helpers/harness.js';
import { inlineView } from '../helpers/projectionViews.js';
import { ed25519Pair } from '../helpers/signingKeys.js';
import { raw, rejection, started } from '../helpers/sqliteFixtures.js';

const newDir = useTempDirs();
const keys = ed25519Pair();

/** A closed SQLite log with 8 days of scheduler history, archived up to 3 days ago. */
async function archivedLog(options: { signed?: boolean } = {}) {
  const dir = newDir();
  const path = join(dir, 'log.db');
  const clock = new TestClock(T0);
  const signing =
    options.signed === true
      ? { signingKey: keys.privateKey, checkpointEvery: { entries: 50 } }
      : {};
  const store = await sqliteStore({ path, clock, synchronous: 'NORMAL', ...signing });
  await schedulerHistory(store, clock, 8);
  const result = await store.archive({ before: clock.now() - 3 * DAY });
  const view = await inlineView(store);
  await store.close();
  return { dir, path, clock, result, view, signing };
}

describe('an archived SQLite log', () => {
  it('reopens and verifies from where its live log starts, read-only too', async () => {
    const { path, clock, result, view } = await archivedLog();
    for (const verifyOnOpen of ['new', 'full'] as const) {
      const store = await sqliteStore({ path, clock, verifyOnOpen });
      expect(await inlineView(store)).toEqual(view);
      expect(await store.verify({ full: true })).toMatchObject({ ok: true });
      await store.close();
    }
    const writer = await sqliteStore({ path, clock });
    await writer.append([started('again')]);
    await writer.close();
    const reader = await sqliteStore({ path, readOnly: true });
    expect(await verifyArchive([result.path!], reader)).toMatchObject({ ok: true });
    await reader.close();
  });

  it('refuses an open when an edit moves the start of the live chain', async () => {
    const { path, result } = await archivedLog();
    raw(path, 'UPDATE segments SET last_hash = ?', '1'.repeat(64));
    const error = await rejection(sqliteStore({ path, verifyOnOpen: 'full' }));
    expect(error).toBeInstanceOf(CorruptLogError);
    expect((error as CorruptLogError).position).toBe(result.segment!.lastSeq + 1);
  });

  describe('signed', () => {
    it('keeps the checkpoints of archived entries: in the table and in the segment header', async () => {
      const { path, result, signing } = await archivedLog({ signed: true });
      const store = await sqliteStore({ path, ...signing });
      const archived = (await store.checkpoints()).filter((c) => c.seq <= result.segment!.lastSeq);
      expect(archived.length).toBeGreaterThan(5);
      const live = await store.verify({ full: true, publicKey: keys.publicKey });
      expect(live).toMatchObject({ ok: true });
      const whole = await verifyArchive([result.path!], store, { publicKey: keys.publicKey });
      expect(whole).toMatchObject({ ok: true });
      expect(whole.ok && whole.signedUpTo).toBeGreaterThan(result.segment!.lastSeq);
      await store.close();
    });

    it('finds an archived checkpoint whose hash was edited: forged against the segment', async () => {
      const { path, result } = await archivedLog({ signed: true });
      const db = new Database(path);
      const seq = db
        .prepare('SELECT seq FROM checkpoints WHERE seq <= ? ORDER BY seq LIMIT 1')
        .pluck()
        .get(result.segment!.lastSeq) as number;
      db.prepare('UPDATE checkpoints SET hash = ? WHERE seq = ?').run('2'.repeat(64), seq);
      db.close();
      const store = await sqliteStore({ path, readOnly: true });
      // The live check has only the table to compare an archived checkpoint with; the key does.
      expect(await store.verify({ full: true, publicKey: keys.publicKey })).toMatchObject({
        ok: false,
        problem: 'bad-checkpoint',
      });
      expect(await verifyArchive([result.path!], store)).toMatchObject({
        ok: false,
        problem: 'forged',
        firstBadSeq: seq,
      });
      await store.close();
    });
  });

  it('checks a head anchored before the live log against the archive', async () => {
    const { path, result } = await archivedLog();
    const store = await sqliteStore({ path, readOnly: true });
    const [, line] = (await import('node:zlib'))
      .gunzipSync((await import('node:fs')).readFileSync(result.path!))
      .toString()
      .split('\n');
    const entry = JSON.parse(line!) as { seq: number; hash: string };
    const anchor = `${entry.seq}:${entry.hash}`;
    const live = await store.verify({ expectHead: anchor });
    expect(live).toMatchObject({ ok: false, problem: 'expected-head' });
    expect(live.ok || live.reason).toMatch(/was archived into a segment.*--archive/);
    expect(await verifyArchive([result.path!], store, { expectHead: anchor })).toMatchObject({
      ok: true,
    });
    expect(
      await verifyArchive([result.path!], store, { expectHead: `${entry.seq}:${'3'.repeat(64)}` }),
    ).toMatchObject({ ok: false, problem: 'expected-head', firstBadSeq: entry.seq });
    await store.close();
  });

  describe('repair', () => {
    it('rebuilds the read model from the segments and the live log', async () => {
      const { path, result, view } = await archivedLog();
      expect(await repairLog(path)).toMatchObject({ method: 'none', problems: [] });
      const store = await sqliteStore({ path });
      expect(await inlineView(store)).toEqual(view);
      expect(await verifyArchive([result.path!], store)).toMatchObject({ ok: true });
      await store.close();
    });

    it('cuts a broken live tail and keeps the model equal to a rebuild over archive and live', async () => {
      const { path, result } = await archivedLog();
      const reader = await sqliteStore({ path, readOnly: true });
      const head = await reader.head();
      await reader.close();
      // The last entry is the archive run's own log.archived: cut, the segment still stands.
      raw(path, "UPDATE events SET data = data || ' ' WHERE seq = ?", head.seq);
      const repaired = await repairLog(path);
      expect(repaired).toMatchObject({ method: 'truncate', keptEntries: head.seq - 1 });
      const store = await sqliteStore({ path });
      const rebuilt = await rebuiltOverArchive(store, [result.path!]);
      expect(await inlineView(store)).toEqual(await viewOf(rebuilt, store));
      expect(await verifyArchive([result.path!], store)).toMatchObject({ ok: true });
      await store.close();
    });

    it('refuses to rebuild without the segments, changing nothing, and finds them with archiveDir', async () => {
      const { dir, path, result, view } = await archivedLog();
      const elsewhere = join(dir, 'cold');
      mkdirSync(elsewhere);
      renameSync(result.path!, join(elsewhere, result.segment!.file));
      const error = await rejection(repairLog(path));
      expect(error).toBeInstanceOf(CorruptLogError);
      expect((error as Error).message).toMatch(/is missing.*archiveDir/);
      expect(readdirSync(dir).filter((f) => f.includes('.bak-'))).toEqual([]);
      await repairLog(path, { archiveDir: elsewhere });
      const store = await sqliteStore({ path });
      expect(await inlineView(store)).toEqual(view);
      await store.close();
    });

    it('rebuilds a damaged file as a log that still starts after its segments', async () => {
      const { path, result, view } = await archivedLog();
      raw(path, 'DROP INDEX events_one_trigger_per_stream');
      expect(await repairLog(path)).toMatchObject({ method: 'rebuild' });
      const store = await sqliteStore({ path, verifyOnOpen: 'full' });
      expect(await store.segments()).toEqual([result.segment]);
      expect(await inlineView(store)).toEqual(view);
      expect(await verifyArchive([result.path!], store)).toMatchObject({ ok: true });
      await store.close();
    });
  });

  it('stops a run when the store closes meanwhile, leaving nothing behind', async () => {
    const dir = newDir();
    const path = join(dir, 'log.db');
    const clock = new TestClock(T0);
    const store = await sqliteStore({ path, clock });
    await schedulerHistory(store, clock, 4);
    const head = await store.head();
    const run = rejection(store.archive({ before: clock.now() - DAY }));
    await store.close();
    expect(await run).toMatchObject({ code: 'planflow:store-closed' });
    expect(readdirSync(`${path}.archive`)).toEqual([]);
    const reopened = await sqliteStore({ path, verifyOnOpen: 'full' });
    expect(await reopened.head()).toEqual(head);
    expect(await reopened.segments()).toEqual([]);
    await reopened.close();
  });

  it('removes what a crashed run left before the next run writes its segment', async () => {
    const { path, result, clock } = await archivedLog();
    const archiveDir = join(`${path}.archive`);
    const start = result.segment!.lastSeq + 1;
    const orphan = `log.db.${String(start).padStart(12, '0')}-${String(start + 9).padStart(12, '0')}.jsonl.gz`;
    writeFileSync(join(archiveDir, orphan), 'sealed by a run that crashed before recording it');
    writeFileSync(join(archiveDir, `.${orphan}.tmp`), 'half written');
    const store = await sqliteStore({ path, clock });
    await clock.advanceAsync(DAY);
    await store.append([started('later')]);
    const next = await store.archive({ before: clock.now() - HOUR });
    expect(existsSync(join(archiveDir, orphan))).toBe(false);
    expect(readdirSync(archiveDir).sort()).toEqual([result.segment!.file, next.segment!.file]);
    await store.close();
  });
});

describe('retention', () => {
  it('archives on open and then on its cadence, under the store clock', async () => {
    const dir = newDir();
    const path = join(dir, 'log.db');
    const clock = new TestClock(T0);
    const seed = await sqliteStore({ path, clock });
    await schedulerHistory(seed, clock, 6);
    await seed.close();
    const runs: ArchiveResult[] = [];
    let heard: (() => void) | undefined;
    const nextRun = () =>
      new Promise<void>((resolve) => {
        heard = resolve;
      });
    const first = nextRun();
    const store: SqliteStore = await sqliteStore({
      path,
      clock,
      retention: {
        keepFinishedFor: '2d',
        every: { ms: DAY, entries: Number.POSITIVE_INFINITY },
        onArchived: (result) => {
          runs.push(result);
          heard?.();
        },
        onError: (error) => {
          throw error;
        },
      },
    });
    await first;
    expect(runs).toHaveLength(1);
    expect(runs[0]!.before).toBe(new Date(clock.now() - 2 * DAY).toISOString());
    // Within the day: no run; the first commit a day later starts one.
    await clock.advanceAsync(12 * HOUR);
    await store.append([started('noon')]);
    await clock.settle();
    expect(runs).toHaveLength(1);
    const second = nextRun();
    await clock.advanceAsync(12 * HOUR);
    await store.append([started('next day')]);
    await second;
    expect(runs).toHaveLength(2);
    expect(runs[1]!.segment!.firstSeq).toBe(runs[0]!.segment!.lastSeq + 1);
    expect(
      await verifyArchive(
        runs.map((r) => r.path!),
        store,
      ),
    ).toMatchObject({ ok: true });
    await store.close();
  });

  it('counts entries too, and a run that fails leaves the log as it was', async () => {
    const clock = new TestClock(T0);
    const errors: unknown[] = [];
    const runs: ArchiveResult[] = [];
    const store = memoryStore({
      clock,
      retention: {
        keepFinishedFor: 0,
        every: { entries: 10, ms: Number.POSITIVE_INFINITY },
        onArchived: (result) => runs.push(result),
        onError: (error) => errors.push(error),
      },
    });
    for (let i = 0; i < 25; i++) {
      await clock.advanceAsync(1000);
      await store.append([started(`i${i}`)]);
    }
    await clock.settle();
    // Entry 10 triggers the run at head 10; entries at the run's instant are not older than it.
    expect(runs.map((r) => r.segment?.lastSeq)).toEqual([undefined, 9, 19]);
    expect(errors).toEqual([]);
    expect(
      await verifyArchive(
        runs.flatMap((r) => (r.bytes ? [r.bytes] : [])),
        store,
      ),
    ).toMatchObject({
      ok: true,
    });

    const dir = newDir();
    const blocked = join(dir, 'not-a-dir');
    writeFileSync(blocked, 'a file where the archive directory should be');
    const path = join(dir, 'log.db');
    let report: (error: unknown) => void = () => {};
    const failed = new Promise<unknown>((resolve) => {
      report = resolve;
    });
    const sqlite = await sqliteStore({
      path,
      clock,
      retention: {
        keepFinishedFor: 0,
        archiveDir: blocked,
        every: { entries: 2 },
        onError: (error) => report(error),
      },
    });
    await sqlite.append([started('x')]);
    await clock.advanceAsync(1000);
    await sqlite.append([started('y')]);
    const error = await failed;
    expect(error).toBeInstanceOf(Error);
    expect(await sqlite.segments()).toEqual([]);
    expect((await liveEntries(sqlite)).map((e) => e.seq)).toEqual([1, 2]);
    expect(readdirSync(dir).sort()).toEqual(['log.db', 'log.db-shm', 'log.db-wal', 'not-a-dir']);
    await sqlite.close();
  });

  describe('options', () => {
    it('read durations with units or as milliseconds', () => {
      expect(parseDurationOption('s', 'f', '90d')).toBe(90 * DAY);
      expect(parseDurationOption('s', 'f', '1d12h')).toBe(36 * HOUR);
      expect(parseDurationOption('s', 'f', '2 weeks')).toBe(14 * DAY);
      expect(parseDurationOption('s', 'f', 5000)).toBe(5000);
    });

    it.each([
      [{ keepFinishedFor: '3 months' }, /months and years have no fixed length/],
      [{ keepFinishedFor: '90' }, /keepFinishedFor must be milliseconds.*'90d'/],
      [{ keepFinishedFor: -1 }, /keepFinishedFor must be/],
      [{}, /needs keepFinishedFor/],
      [{ keepFinishedFor: '1d', every: { entries: 0 } }, /every\.entries must be an integer ≥ 1/],
      [{ keepFinishedFor: '1d', evry: {} }, /evry/],
    ])('refuse %j saying how to fix it', async (retention, message) => {
      const error = await rejection(
        sqliteStore({ path: join(newDir(), 'log.db'), retention: retention as never }),
      );
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toMatch(message);
    });

    it('refuse retention on a read-only store, and an archive directory on the memory store', async () => {
      const path = join(newDir(), 'log.db');
      await (await sqliteStore({ path })).close();
      const readOnly = await rejection(
        sqliteStore({ path, readOnly: true, retention: { keepFinishedFor: '1d' } }),
      );
      expect((readOnly as Error).message).toMatch(/a read-only store never archives/);
      expect(() => memoryStore({ retention: { keepFinishedFor: '1d', archiveDir: 'x' } })).toThrow(
        /writes no files/,
      );
    });
  });
});
