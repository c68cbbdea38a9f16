import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isPlanflowError, StorageError, ValidationError } from '../../src/domain/errors.js';
import type { ArchiveResult } from '../../src/log/ArchivingStore.js';
import { EventLog } from '../../src/log/EventLog.js';
import type { StoredEvent } from '../../src/log/events.js';
import { LiveModel } from '../../src/log/LiveModel.js';
import type { ProjectionChanges } from '../../src/log/projection.js';
import { verifyArchive } from '../../src/log/verifyArchive.js';
import { type PostgresStore, postgresStore } from '../../src/postgres/index.js';
import { PG_SCHEMA_VERSION } from '../../src/postgres/pgSchema.js';
import type { PostgresStoreOptions } from '../../src/postgres/postgresStoreOptions.js';
import { trackStoreWork } from '../../src/testing/storeWork.js';
import { TestClock } from '../../src/testing/TestClock.js';
import { liveEntries, schedulerHistory, useTempDirs } from '../helpers/archiveFixtures.js';
import { DAY, T0 } from '../helpers/harness.js';
import { holdQuery, releaseAllHolds } from '../helpers/pgHolds.js';
import { PG_URL, requirePostgres, sql, useTempSchemas } from '../helpers/pgSchemas.js';
import { inlineView } from '../helpers/projectionViews.js';
import { ed25519Pair } from '../helpers/signingKeys.js';
import { rejection } from '../helpers/sqliteFixtures.js';

beforeAll(requirePostgres);

const newSchema = useTempSchemas();
const newDir = useTempDirs();

/** Stores opened by a test, closed after it (before its schema is dropped). */
const opened: PostgresStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close().catch(() => undefined);
});

async function open(
  schema: string,
  clock: TestClock,
  options: Partial<PostgresStoreOptions> = {},
): Promise<PostgresStore> {
  const store = await postgresStore({ connectionString: PG_URL, schema, clock, ...options });
  opened.push(store);
  return store;
}

/** A schema with ten days of scheduler history, and a directory for its segments. */
async function withHistory(options: Partial<PostgresStoreOptions> = {}) {
  const clock = new TestClock(T0);
  const schema = newSchema();
  const archiveDir = newDir();
  const store = await open(schema, clock, options);
  await schedulerHistory(store, clock, 10);
  return { clock, schema, archiveDir, store };
}

/** Takes the schema's archive lock from a connection of the test's own, as a run would. */
async function holdArchiveLock(schema: string): Promise<() => Promise<void>> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`SELECT pg_advisory_lock(1347831367, hashtext('${schema}'))`);
  return async () => {
    await client.end();
  };
}

const byId = (entries: readonly StoredEvent[]) => new Map(entries.map((e) => [e.id, e]));

describe('archiving a PostgreSQL log', () => {
  it('needs an archiveDir: there is no log file to put segments beside', async () => {
    const { store, clock, schema } = await withHistory();
    const error = await rejection(store.archive({ before: clock.now() - DAY }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/archiveDir: '\.\/archive'/);
    const refused = await rejection(open(schema, clock, { retention: { keepFinishedFor: '3d' } }));
    expect(isPlanflowError(refused, 'planflow:invalid-options')).toBe(true);
    expect((refused as Error).message).toMatch(/retention needs archiveDir/);
    const reader = await open(schema, clock, { readOnly: true });
    const readOnly = await rejection(
      reader.archive({ before: clock.now() - DAY, archiveDir: '.' }),
    );
    expect(isPlanflowError(readOnly, 'planflow:storage-read-only')).toBe(true);
    expect(await store.segments()).toEqual([]);
  });

  it('leaves a live log that reopens with the full check, signed checkpoints included', async () => {
    const keys = ed25519Pair();
    const { store, clock, schema, archiveDir } = await withHistory({
      signingKey: keys.privateKey,
      checkpointEvery: { entries: 50 },
    });
    const before = await store.loadLive();
    const result = await store.archive({ before: clock.now() - 3 * DAY, archiveDir });
    expect(result.segment!.firstSeq).toBe(1);
    expect(result.segment!.file).toMatch(new RegExp(`^${schema}\\.0+1-0+\\d+\\.jsonl\\.gz$`));
    expect(existsSync(result.path!)).toBe(true);
    expect(result.path).toBe(join(archiveDir, result.segment!.file));
    expect((await store.loadLive()).live).toEqual(before.live);
    const publicKey = keys.publicKey;
    expect(await store.verify({ publicKey })).toMatchObject({ ok: true });
    expect(await store.verify({ full: true, publicKey })).toMatchObject({ ok: true });
    expect(await verifyArchive([result.path!], store, { publicKey })).toMatchObject({ ok: true });
    const head = await store.head();
    await store.close();
    for (const verifyOnOpen of ['new', 'full'] as const) {
      const again = await open(schema, clock, { verifyOnOpen });
      expect(await again.head()).toEqual(head);
      expect(await again.verify({ full: true, publicKey })).toMatchObject({ ok: true });
      await again.close();
    }
  });

  it('refuses a segments table edited to start the chain elsewhere', async () => {
    const { store, clock, schema, archiveDir } = await withHistory();
    await store.archive({ before: clock.now() - 3 * DAY, archiveDir });
    await sql(
      `UPDATE "${schema}".segments SET sha256 = (CASE WHEN left(sha256, 1) = 'f' THEN 'e' ELSE 'f' END) || substr(sha256, 2)`,
    );
    const result = await store.verify();
    expect(result).toMatchObject({ ok: false, problem: 'segment' });
    expect(result.ok || result.reason).toMatch(/segments table was edited/);
    const refused = await rejection(open(schema, clock));
    expect(isPlanflowError(refused, 'planflow:corrupt-log')).toBe(true);
  });

  it('loses no append made while a run seals and records, and the chain verifies', async () => {
    const { store, clock, schema, archiveDir } = await withHistory();
    const other = await open(schema, clock);
    const appended: StoredEvent[] = [];
    let stop = false;
    const writer = async (from: PostgresStore, name: string) => {
      for (let i = 0; !stop; i++) {
        appended.push(
          ...(await from.append([
            { type: 'scheduler.started', stream: 'scheduler', data: { instanceId: `${name}${i}` } },
          ])),
        );
      }
    };
    const steps: string[] = [];
    const writers = [writer(store, 'a'), writer(other, 'b')];
    const result = await store.archive({
      before: clock.now() - 3 * DAY,
      archiveDir,
      onStep: (step) => steps.push(`${step}@${appended.length}`),
    });
    // Let each writer commit after the run, too.
    const after = appended.length;
    while (appended.length < after + 4) await new Promise((r) => setImmediate(r));
    stop = true;
    await Promise.all(writers);
    // Appends committed while the run sealed its segment.
    expect(Number(steps.find((s) => s.startsWith('recording'))!.split('@')[1])).toBeGreaterThan(0);
    expect(steps.map((s) => s.split('@')[0])).toEqual([
      'segment-written',
      'segment-sealed',
      'recording',
      'recorded',
    ]);
    const live = byId(await liveEntries(store));
    for (const entry of appended) expect(live.get(entry.id)).toEqual(entry);
    const seqs = [...live.values()].map((e) => e.seq);
    expect(seqs[0]).toBe(result.segment!.lastSeq + 1);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(await verifyArchive([result.path!], other)).toMatchObject({ ok: true });
    expect(await other.verify({ full: true })).toMatchObject({ ok: true });
  });

  describe('one run at a time per schema', () => {
    it('refuses a run while another holds the archive lock, and skips a retention run', async () => {
      const { store, clock, schema, archiveDir } = await withHistory();
      const release = await holdArchiveLock(schema);
      const error = await rejection(store.archive({ before: clock.now() - 3 * DAY, archiveDir }));
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ code: 'planflow:storage-busy', transient: true });
      expect((error as Error).message).toMatch(/another archive run on this schema/);
      const heard: unknown[] = [];
      const withRetention = await open(schema, clock, {
        retention: {
          keepFinishedFor: '3d',
          archiveDir,
          onArchived: (r) => heard.push(r),
          onError: (e) => heard.push(e),
        },
      });
      // Closing waits for the run the open started: skipped, neither a result nor an error.
      await withRetention.close();
      expect(heard).toEqual([]);
      expect(await store.segments()).toEqual([]);
      expect(readdirSync(archiveDir)).toEqual([]);
      await release();
      const result = await store.archive({ before: clock.now() - 3 * DAY, archiveDir });
      expect(result.segment).toBeDefined();
    });

    it('records one segment when instances start runs at once', async () => {
      const { store, clock, schema, archiveDir } = await withHistory();
      const others = [await open(schema, clock), await open(schema, clock)];
      const before = clock.now() - 3 * DAY;
      const outcomes = await Promise.all(
        [store, ...others].map((s) =>
          s.archive({ before, archiveDir }).then(
            (result: ArchiveResult) => result,
            (error: unknown) => error,
          ),
        ),
      );
      const recorded = outcomes.filter((o) => (o as ArchiveResult).segment !== undefined);
      expect(recorded).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome === recorded[0]) continue;
        // Refused while the run was in progress, or found nothing left to move after it.
        if (outcome instanceof Error) {
          expect(outcome).toMatchObject({ code: 'planflow:storage-busy' });
        } else expect((outcome as ArchiveResult).segment).toBeUndefined();
      }
      expect(await store.segments()).toHaveLength(1);
      expect(readdirSync(archiveDir)).toEqual([(recorded[0] as ArchiveResult).segment!.file]);
      expect(await verifyArchive([(recorded[0] as ArchiveResult).path!], others[0]!)).toMatchObject(
        { ok: true },
      );
    });
  });

  it('a run that fails while recording leaves the log unchanged, and the next completes', async () => {
    const { store, clock, schema, archiveDir } = await withHistory();
    const entries = await liveEntries(store);
    const view = await inlineView(store);
    await sql(`CREATE FUNCTION "${schema}".refuse() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'the disk said no'; END $$`);
    await sql(`CREATE TRIGGER refuse BEFORE INSERT ON "${schema}".segments
      FOR EACH ROW EXECUTE FUNCTION "${schema}".refuse()`);
    const steps: string[] = [];
    const error = await rejection(
      store.archive({
        before: clock.now() - 3 * DAY,
        archiveDir,
        onStep: (step) => steps.push(step),
      }),
    );
    expect((error as Error).message).toMatch(/the disk said no/);
    // Sealed, then the transaction failed: nothing of it stayed, nor the file.
    expect(steps).toEqual(['segment-written', 'segment-sealed']);
    expect(await liveEntries(store)).toEqual(entries);
    expect(await inlineView(store)).toEqual(view);
    expect(await store.segments()).toEqual([]);
    expect(readdirSync(archiveDir)).toEqual([]);
    await sql(`DROP TRIGGER refuse ON "${schema}".segments`);
    const result = await store.archive({ before: clock.now() - 3 * DAY, archiveDir });
    expect(result.segment!.firstSeq).toBe(1);
    expect(await verifyArchive([result.path!], store)).toMatchObject({ ok: true });
  });

  it('archives a schema made by the previous schema step once it is migrated', async () => {
    const { store, clock, schema, archiveDir } = await withHistory();
    const head = await store.head();
    await store.close();
    // What step 2 left: the log and leases, no segments table, migrations up to 2.
    await sql(`DROP TABLE "${schema}".segments`);
    await sql(`DELETE FROM "${schema}".migrations WHERE version = 3`);
    const migrated = await open(schema, clock, { verifyOnOpen: 'full' });
    const versions = await sql<{ version: number }>(
      `SELECT version FROM "${schema}".migrations ORDER BY version`,
    );
    expect(versions.map((r) => r.version)).toEqual([1, 2, 3]);
    expect(PG_SCHEMA_VERSION).toBe(3);
    expect(await migrated.head()).toEqual(head);
    const result = await migrated.archive({ before: clock.now() - 3 * DAY, archiveDir });
    expect(await verifyArchive([result.path!], migrated)).toMatchObject({ ok: true });
  });
});

describe('verifying while an archive run records its segment', () => {
  afterEach(releaseAllHolds);

  /**
   * A signed schema of 1 200 entries (a few verify pages, checkpoints among them), the first
   * 600 archived, and an archive run of the other 600 held at its COMMIT: the entries are deleted, the
   * segment row and `log.archived` written, not yet committed. `reader` is another instance
   * on the schema.
   */
  async function runHeldAtCommit() {
    const keys = ed25519Pair();
    const clock = new TestClock(T0);
    const schema = newSchema();
    const archiveDir = newDir();
    const store = await open(schema, clock, {
      signingKey: keys.privateKey,
      checkpointEvery: { entries: 50 },
    });
    const started = (i: number) => ({
      type: 'scheduler.started' as const,
      stream: 'scheduler',
      data: { instanceId: `i${i}` },
    });
    for (let batch = 0; batch < 12; batch++) {
      await store.append(Array.from({ length: 100 }, (_, i) => started(batch * 100 + i)));
      // The first half is archived first: the run held below finds a segment before its own.
      if (batch === 5) await clock.advanceAsync(2 * DAY);
    }
    await clock.advanceAsync(4 * DAY);
    await store.append([started(-1)]);
    expect(
      (await store.archive({ before: clock.now() - 5 * DAY, archiveDir })).segment,
    ).toMatchObject({ firstSeq: 1, lastSeq: 600 });
    const reader = await open(schema, clock);
    let recording = false;
    const commit = holdQuery((text) => recording && text === 'COMMIT');
    const run = store.archive({
      before: clock.now() - 3 * DAY,
      archiveDir,
      onStep: (step) => {
        if (step === 'recording') recording = true;
      },
    });
    await commit.reached;
    const files = () => readdirSync(archiveDir).map((file) => join(archiveDir, file));
    return { store, reader, run, commit, files, publicKey: keys.publicKey, schema, clock };
  }

  const segmentsRead = (text: string) => text.includes('.segments ORDER BY last_seq DESC');
  const nth = (n: number, match: (text: string) => boolean) => {
    let seen = 0;
    return (text: string) => match(text) && ++seen === n;
  };
  // Where a verification that started before the commit is held while the run commits.
  const points: [string, (text: string) => boolean][] = [
    ['at its first statement', (text) => text.includes('.checkpoints ORDER BY seq')],
    ['after reading where the live log starts', (text) => text.includes('.log_state WHERE')],
    ['in the middle of its walk', (text) => text.includes('.entries WHERE seq >= $1')],
    ['before reading the newest segment row again', nth(2, segmentsRead)],
    ['before looking up the checkpoints’ entries', (text) => text.includes('= ANY($1::bigint[])')],
  ];

  it.each(points)('finds the log intact when held %s', async (_, where) => {
    const { reader, run, commit, publicKey } = await runHeldAtCommit();
    const held = holdQuery(where);
    const verifying = reader.verify({ publicKey });
    await held.reached;
    commit.release();
    expect((await run).segment).toBeDefined();
    held.release();
    expect(await verifying).toMatchObject({ ok: true });
    expect(await reader.verify({ full: true, publicKey })).toMatchObject({ ok: true });
  });

  it('finds the log intact before the commit, the sealed segment not yet recorded', async () => {
    const { run, commit, files, publicKey, schema, clock } = await runHeldAtCommit();
    // Read-only: a writer's verify moves the verified mark, which waits for the run's commit.
    const reader = await open(schema, clock, { readOnly: true });
    expect(files()).toHaveLength(2);
    expect(await reader.verify({ full: true, publicKey })).toMatchObject({ ok: true });
    expect(await verifyArchive(files(), reader, { publicKey })).toMatchObject({ ok: true });
    commit.release();
    await run;
    expect(await verifyArchive(files(), reader, { publicKey })).toMatchObject({ ok: true });
  });

  it.each([
    ['while it walks the segments', (text: string) => text.includes('.checkpoints ORDER BY seq')],
    ['as it verifies the live log', (text: string) => text.includes('REPEATABLE READ')],
  ])('verifies the archive with a run committing %s', async (_, where) => {
    const { reader, run, commit, files, publicKey } = await runHeldAtCommit();
    const held = holdQuery(where);
    const verifying = verifyArchive(files, reader, { publicKey });
    await held.reached;
    commit.release();
    await run;
    held.release();
    const result = await verifying;
    expect(result).toMatchObject({ ok: true });
    // The whole log was checked: the live part starts after the segment just recorded.
    expect(result.ok && result.entries).toBe((await reader.head()).seq);
  });
});

describe('an instance behind the cutoff of another’s archive run', () => {
  /** `store` as an instance's log reads it, its reads held until `open()` is called. */
  function heldReads(store: PostgresStore) {
    let reached!: () => void;
    let open!: () => void;
    const reachedAt = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    const view: PostgresStore = {
      ...store,
      async *read(options) {
        reached();
        await opened;
        yield* store.read(options);
      },
    };
    return { view, reached: reachedAt, open };
  }

  it('reads past the archived entries it missed (LISTEN/NOTIFY) and ends as the read model', async () => {
    const clock = new TestClock(T0);
    const schema = newSchema();
    const archiveDir = newDir();
    const writer = await open(schema, clock);
    const held = heldReads(await open(schema, clock));
    const remote: ProjectionChanges[] = [];
    const behind = await EventLog.open(held.view, { onRemote: (c) => remote.push(c) });
    // The first commit it hears starts its catch-up, which waits at its read.
    await schedulerHistory(writer, clock, 10);
    await held.reached;
    const { segment } = await writer.archive({ before: clock.now() - 3 * DAY, archiveDir });
    expect(segment!.lastSeq).toBeGreaterThan(behind.model.lastSeq + 1);
    const head = await writer.head();
    held.open();
    await vi.waitFor(() => expect(behind.model.lastSeq).toBe(head.seq));
    const now = new LiveModel(await writer.loadLive());
    expect(behind.model.listTasks()).toEqual(now.listTasks());
    expect([...behind.model.liveRecords()]).toEqual([...now.liveRecords()]);
    expect(remote.map((c) => c.records.size)).toEqual([now.liveCount]);
    behind.complete();
  });

  it('names to onRemote the occurrences it held that were archived with their records', async () => {
    const clock = new TestClock(T0);
    const schema = newSchema();
    const archiveDir = newDir();
    // Tracked: the clock's advance waits for the store's round trips, so the history runs
    // as it would on a real clock.
    const writer = trackStoreWork(await open(schema, clock));
    await schedulerHistory(writer, clock, 1);
    const held = heldReads(await open(schema, clock));
    const remote: ProjectionChanges[] = [];
    const behind = await EventLog.open(held.view, { onRemote: (c) => remote.push(c) });
    const heldAtOpen = [...behind.model.liveRecords()].map((r) => r.occurrence.id);
    expect(heldAtOpen).toHaveLength(3);
    await schedulerHistory(writer, clock, 9, { resume: true });
    await held.reached;
    await writer.archive({ before: clock.now() - 3 * DAY, archiveDir });
    const head = await writer.head();
    held.open();
    await vi.waitFor(() => expect(behind.model.lastSeq).toBe(head.seq));
    // Each series' occurrence of day 1 ran and settled; its entries and its record went to
    // the segment, so only the report can tell an instance to let go of it.
    const gone: string[] = [];
    for (const id of heldAtOpen) if ((await writer.getRecord(id)) === undefined) gone.push(id);
    expect(gone).toHaveLength(3);
    expect(remote).toHaveLength(1);
    expect([...remote[0]!.archivedIds!].sort()).toEqual(gone.sort());
    for (const id of gone) expect(remote[0]!.records.has(id)).toBe(false);
    behind.complete();
  });

  it('refuses to fold over entries removed without a segment', async () => {
    const clock = new TestClock(T0);
    const schema = newSchema();
    const writer = await open(schema, clock);
    const reader = await open(schema, clock, { readOnly: true });
    const behind = await EventLog.open({ ...reader, watchHead: undefined } as never);
    await schedulerHistory(writer, clock, 1);
    await sql(`DELETE FROM "${schema}".entries WHERE seq BETWEEN 1 AND 5`);
    const error = await rejection(behind.catchUp());
    expect(isPlanflowError(error, 'planflow:corrupt-log')).toBe(true);
    expect((error as Error).message).toMatch(/entries 1\.\.5 are missing.*no archive segment/);
    expect(behind.model.lastSeq).toBe(0);
  });
});
