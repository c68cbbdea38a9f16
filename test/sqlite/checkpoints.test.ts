import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CorruptLogError, isPlanflowError, StorageError } from '../../src/domain/errors.js';
import type { StoredEvent } from '../../src/log/events.js';
import { verifyChain } from '../../src/log/verifyChain.js';
import type { VerifyOptions } from '../../src/log/verifyCheckpoints.js';
import { logMigrations } from '../../src/sqlite/migrations.js';
import { repairLog } from '../../src/sqlite/repair.js';
import { sqliteStore } from '../../src/sqlite/sqliteStore.js';
import { describeEventStoreContract } from '../contracts/storeContract.js';
import { ed25519Pair, recomputeChain } from '../helpers/signingKeys.js';
import {
  clock,
  logWith,
  readAll,
  rejection,
  started,
  useTempLogPaths,
} from '../helpers/sqliteFixtures.js';

const newPath = useTempLogPaths();
const keys = ed25519Pair();

describeEventStoreContract('sqliteStore with a signingKey', async ({ clock: contractClock }) => {
  const store = await sqliteStore({
    path: newPath(),
    synchronous: 'NORMAL',
    clock: contractClock,
    signingKey: keys.privateKey,
    checkpointEvery: { entries: 2 },
  });
  return { store, cleanup: () => store.close() };
});

/** A closed log of `n` entries, one per commit, signed every `every` entries and on close. */
async function signedLog(n: number, every = 5, path = newPath()): Promise<string> {
  const store = await sqliteStore({
    path,
    clock,
    synchronous: 'NORMAL',
    signingKey: keys.privatePem,
    checkpointEvery: { entries: every },
  });
  for (let i = 1; i <= n; i++) await store.append([started(`i${i}`)]);
  await store.close();
  return path;
}

/** Opens `path` with raw SQL, runs `work`, closes. */
function withDb<T>(path: string, work: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    return work(db);
  } finally {
    db.close();
  }
}

/** Rewrites the file's rows from `seq` on as the forger's script would, chain recomputed. */
function forgeInFile(path: string, entries: readonly StoredEvent[], seq: number): void {
  const forged = recomputeChain(entries, seq, { instanceId: 'forged' });
  withDb(path, (db) => {
    const update = db.prepare('UPDATE events SET data = ?, prev_hash = ?, hash = ? WHERE seq = ?');
    for (const e of forged.slice(seq - 1)) {
      update.run(JSON.stringify(e.data), e.prevHash, e.hash, e.seq);
    }
    // A tamperer who knows the format moves the verified mark along (it is no proof).
    const head = forged[forged.length - 1]!;
    db.prepare("UPDATE log_state SET value = ? WHERE key = 'verified'").run(
      JSON.stringify({ seq: head.seq, hash: head.hash }),
    );
  });
}

const checkpointSeqs = (path: string): number[] =>
  withDb(path, (db) =>
    db.prepare('SELECT seq FROM checkpoints ORDER BY seq').pluck().all(),
  ) as number[];

/** `verify()` of the file as a separate, read-only reader sees it (nothing is checked on open). */
async function verifyWith(path: string, options?: VerifyOptions) {
  const store = await sqliteStore({ path, readOnly: true, verifyOnOpen: false });
  try {
    return await store.verify(options);
  } finally {
    await store.close();
  }
}

describe('sqliteStore with a signingKey', () => {
  describe('when it signs', () => {
    it('stores checkpoints with their commit and mirrors the latest in <path>.head', async () => {
      const path = await signedLog(12, 5);
      expect(checkpointSeqs(path)).toEqual([5, 10, 12]);
      const mirror = JSON.parse(readFileSync(`${path}.head`, 'utf8'));
      const store = await sqliteStore({ path, readOnly: true });
      const [last] = (await store.checkpoints()).slice(-1);
      expect(mirror).toEqual({ format: 'planflow-head-v1', ...last });
      expect(last).toMatchObject({ seq: 12, hash: (await store.head()).hash });
      expect(existsSync(`${path}.head.tmp`)).toBe(false);
      await store.close();
    });

    it('signs one checkpoint per group commit, after the whole group', async () => {
      const path = newPath();
      const store = await sqliteStore({
        path,
        clock,
        signingKey: keys.privateKey,
        checkpointEvery: { entries: 3 },
      });
      await Promise.all(Array.from({ length: 10 }, (_, i) => store.append([started(`s${i}`)])));
      expect((await store.checkpoints()).map((c) => c.seq)).toEqual([10]);
      await store.close();
    });

    it('keeps the cadence across a reopen, counting from the last checkpoint in the file', async () => {
      const path = await signedLog(7, 5);
      expect(checkpointSeqs(path)).toEqual([5, 7]);
      const store = await sqliteStore({
        path,
        clock,
        signingKey: keys.privateKey,
        checkpointEvery: { entries: 5 },
      });
      for (let i = 0; i < 4; i++) await store.append([started(`r${i}`)]);
      expect((await store.checkpoints()).map((c) => c.seq)).toEqual([5, 7]);
      await store.append([started('r4')]);
      expect((await store.checkpoints()).map((c) => c.seq)).toEqual([5, 7, 12]);
      await store.close();
    });

    it('does not sign on close when it appended nothing, or when the last checkpoint covers the head', async () => {
      const path = await signedLog(10, 5);
      expect(checkpointSeqs(path)).toEqual([5, 10]);
      const idle = await sqliteStore({ path, clock, signingKey: keys.privateKey });
      await idle.close();
      expect(checkpointSeqs(path)).toEqual([5, 10]);
    });

    it('migrates a log written before checkpoints existed and signs it from then on', async () => {
      const path = newPath();
      withDb(path, (db) => {
        db.pragma('journal_mode = WAL');
        db.pragma('application_id = 0x506c466c');
        logMigrations[0]!.up(db);
        db.pragma('user_version = 1');
      });
      await logWith(path, 0);
      // logWith opened it without a key: migrated, unsigned.
      expect(checkpointSeqs(path)).toEqual([]);
      await signedLog(3, 100, path);
      expect(checkpointSeqs(path)).toEqual([3]);
      expect(await verifyWith(path, { publicKey: keys.publicKey })).toMatchObject({
        ok: true,
        signedUpTo: 3,
      });
    });
  });

  describe('forged chain', () => {
    it('passes the plain chain check when the log was written without a key', async () => {
      const path = await logWith(newPath(), 10);
      forgeInFile(path, await readAllOf(path), 4);
      expect(await verifyWith(path)).toMatchObject({ ok: true, entries: 10 });
      const store = await sqliteStore({ path });
      expect((await readAll(store))[3]!.data).toEqual({ instanceId: 'forged' });
      await store.close();
    });

    it('is reported by verify with the public key, and refused by a store opening it', async () => {
      const path = await signedLog(10, 4);
      forgeInFile(path, await readAllOf(path), 6);
      expect(await verifyChain([await readAllOf(path)])).toMatchObject({ ok: true });
      expect(await verifyWith(path, { publicKey: keys.publicPem })).toMatchObject({
        ok: false,
        problem: 'forged',
        firstBadSeq: 5,
      });
      const opened = await rejection(sqliteStore({ path, signingKey: keys.privateKey }));
      expect(opened).toBeInstanceOf(CorruptLogError);
      expect((opened as CorruptLogError).message).toMatch(
        /does not match its signed checkpoints \(forged\)/,
      );
      // A plain verifying open notices too: the head file contradicts the file's chain.
      expect(await rejection(sqliteStore({ path, readOnly: true }))).toBeInstanceOf(
        CorruptLogError,
      );
    });

    it('is still reported when the forger rewrites the checkpoints and the head file to fit', async () => {
      const path = await signedLog(10, 4);
      const entries = await readAllOf(path);
      forgeInFile(path, entries, 2);
      const forged = await readAllOf(path);
      withDb(path, (db) => {
        for (const seq of checkpointSeqs(path)) {
          db.prepare('UPDATE checkpoints SET hash = ? WHERE seq = ?').run(
            forged[seq - 1]!.hash,
            seq,
          );
        }
      });
      const mirror = JSON.parse(readFileSync(`${path}.head`, 'utf8'));
      writeFileSync(`${path}.head`, JSON.stringify({ ...mirror, hash: forged[9]!.hash }));
      // Without the key nothing contradicts the forgery any more…
      expect(await verifyWith(path)).toMatchObject({ ok: true });
      // …with it, the signatures do.
      expect(await verifyWith(path, { publicKey: keys.publicKey })).toMatchObject({
        ok: false,
        problem: 'bad-checkpoint',
      });
      // And with every checkpoint and the head file gone, nothing is signed at all.
      withDb(path, (db) => db.exec('DELETE FROM checkpoints'));
      rmSync(`${path}.head`);
      expect(await verifyWith(path, { publicKey: keys.publicKey })).toMatchObject({
        ok: false,
        problem: 'unsigned',
      });
    });

    it('reports a wrong public key', async () => {
      const path = await signedLog(3);
      const result = await verifyWith(path, { publicKey: ed25519Pair().publicPem });
      expect(result).toMatchObject({ ok: false, problem: 'unsigned' });
      expect(!result.ok && result.reason).toMatch(/is it the right public key\?/);
    });
  });

  describe('truncated tail', () => {
    it('is reported when the last rows are deleted back past the last checkpoint', async () => {
      const path = await signedLog(20, 5);
      withDb(path, (db) => db.exec('DELETE FROM events WHERE seq > 12'));
      expect(await verifyWith(path)).toMatchObject({
        ok: false,
        problem: 'truncated',
        firstBadSeq: 13,
      });
      // A thorough forger deletes the checkpoints beyond too; the head file still knows.
      withDb(path, (db) => db.exec('DELETE FROM checkpoints WHERE seq > 12'));
      const result = await verifyWith(path, { publicKey: keys.publicKey });
      expect(result).toMatchObject({
        ok: false,
        problem: 'truncated',
        firstBadSeq: 13,
        entries: 12,
      });
      expect(!result.ok && result.reason).toContain('.head of entry #20');
      const opened = await rejection(sqliteStore({ path, signingKey: keys.privateKey }));
      expect(opened).toBeInstanceOf(CorruptLogError);
      expect((opened as CorruptLogError).position).toBe(13);
      expect((opened as Error).message).toContain(
        'to accept the loss and go on from entry #12, run repairLog',
      );
    });

    it('is accepted by a repair, which sets the contradicting checkpoints aside and keeps every entry', async () => {
      const path = await signedLog(20, 5);
      withDb(path, (db) => db.exec('DELETE FROM events WHERE seq > 12'));
      const backupPath = `${path}.bak`;
      const repaired = await repairLog(path, { backupPath });
      expect(repaired).toMatchObject({ method: 'none', keptEntries: 12, removedEntries: 0 });
      expect(repaired.problems.join('\n')).toMatch(/checkpoint\(s\) named entries .*#15, #20/);
      expect(repaired.problems.join('\n')).toContain(`moved to ${backupPath}.head`);
      expect(JSON.parse(readFileSync(`${backupPath}.head`, 'utf8'))).toMatchObject({ seq: 20 });
      expect(checkpointSeqs(path)).toEqual([5, 10]);
      expect(
        withDb(backupPath, (db) => db.prepare('SELECT count(*) FROM checkpoints').pluck().get()),
      ).toBe(4);
      const store = await sqliteStore({ path, signingKey: keys.privateKey });
      await store.append([started('after the repair')]);
      await store.close();
      expect(await verifyWith(path, { publicKey: keys.publicKey })).toMatchObject({
        ok: true,
        signedUpTo: 13,
      });
      // A log whose checkpoints all agree has nothing set aside.
      expect((await repairLog(path, { backupPath: `${path}.bak2` })).problems).toEqual([]);
    });

    it('goes unnoticed once the head file is deleted too, unless the head was anchored elsewhere', async () => {
      const path = await signedLog(20, 5);
      const anchor = (await verifyWith(path)) as { headHash: string };
      withDb(path, (db) => {
        db.exec('DELETE FROM events WHERE seq > 12');
        db.exec('DELETE FROM checkpoints WHERE seq > 12');
      });
      rmSync(`${path}.head`);
      expect(await verifyWith(path, { publicKey: keys.publicKey })).toMatchObject({
        ok: true,
        signedUpTo: 10,
      });
      expect(await verifyWith(path, { expectHead: `20:${anchor.headHash}` })).toMatchObject({
        ok: false,
        problem: 'expected-head',
        firstBadSeq: 13,
      });
    });

    it('is reported when the -wal file is lost after acknowledged appends', async () => {
      const path = newPath();
      const store = await sqliteStore({
        path,
        clock,
        signingKey: keys.privateKey,
        checkpointEvery: { entries: 10 },
      });
      for (let i = 0; i < 30; i++) await store.append([started(`a${i}`)]);
      // Entries 1..30 reach the main file; 31..60 stay in the WAL, as between SQLite's checkpoints.
      withDb(path, (db) => db.pragma('wal_checkpoint(TRUNCATE)'));
      for (let i = 0; i < 30; i++) await store.append([started(`b${i}`)]);
      // The process dies and the -wal goes with it: what is left is the main file and the head file.
      const lost = join(dirname(path), 'lost', 'log.db');
      mkdirSync(dirname(lost));
      copyFileSync(path, lost);
      copyFileSync(`${path}.head`, `${lost}.head`);
      await store.close();

      expect(await verifyWith(lost)).toMatchObject({
        ok: false,
        problem: 'truncated',
        firstBadSeq: 31,
      });
      const opened = await rejection(sqliteStore({ path: lost }));
      expect(opened).toBeInstanceOf(CorruptLogError);
      expect((opened as Error).message).toMatch(
        /ends at entry #30, but the head file .* entry #60/,
      );
    });

    it('is reported when the file is cut to 0 bytes or deleted, and nothing is created there', async () => {
      const path = await signedLog(8);
      truncateSync(path, 0);
      for (const options of [
        { path },
        { path, readOnly: true },
        { path, signingKey: keys.privateKey },
      ]) {
        const error = await rejection(sqliteStore(options));
        expect(error).toBeInstanceOf(CorruptLogError);
        expect((error as Error).message).toMatch(
          /is empty \(0 bytes\), but its head file .* says entries 1\.\.8 were written/,
        );
      }
      expect(readFileSync(path)).toHaveLength(0);
      rmSync(path);
      expect(await rejection(sqliteStore({ path }))).toBeInstanceOf(CorruptLogError);
      expect(existsSync(path)).toBe(false);
    });

    it('passes the plain chain check when the log was written without a key', async () => {
      const path = await logWith(newPath(), 20);
      withDb(path, (db) => db.exec('DELETE FROM events WHERE seq > 12'));
      expect(await verifyWith(path)).toMatchObject({ ok: true, entries: 12 });
    });
  });

  describe('crashes and faults', () => {
    it('opens normally after a kill between writing the temporary head file and renaming it', async () => {
      const path = await signedLog(6, 5);
      writeFileSync(`${path}.head.tmp`, '{"format":"planflow-head-v1","seq":');
      const store = await sqliteStore({
        path,
        clock,
        signingKey: keys.privateKey,
        checkpointEvery: { entries: 1 },
      });
      await store.append([started('after')]);
      expect(JSON.parse(readFileSync(`${path}.head`, 'utf8'))).toMatchObject({ seq: 7 });
      expect(existsSync(`${path}.head.tmp`)).toBe(false);
      await store.close();
    });

    it('keeps appending when the head file cannot be written, and says so on close', async () => {
      const path = newPath();
      const store = await sqliteStore({
        path,
        clock,
        signingKey: keys.privateKey,
        checkpointEvery: { entries: 1 },
      });
      await store.append([started('one')]);
      mkdirSync(`${path}.head.tmp`);
      const appended = await store.append([started('two')]);
      expect(appended[0]!.seq).toBe(2);
      expect((await store.checkpoints()).map((c) => c.seq)).toEqual([1, 2]);
      const closing = await rejection(store.close());
      expect(closing).toBeInstanceOf(StorageError);
      expect((closing as Error).message).toMatch(/cannot write the head file .*log\.db\.head/);
      // The mirror lags (entry #1), which is safe: it names an entry the log still has.
      rmSync(`${path}.head.tmp`, { recursive: true });
      expect(await verifyWith(path, { publicKey: keys.publicKey })).toMatchObject({
        ok: true,
        signedUpTo: 2,
      });
    });

    it('reports a head file that is not a checkpoint', async () => {
      const path = await signedLog(3);
      writeFileSync(`${path}.head`, 'garbage');
      expect(await verifyWith(path)).toMatchObject({ ok: false, problem: 'bad-checkpoint' });
      expect(await rejection(sqliteStore({ path }))).toBeInstanceOf(CorruptLogError);
    });
  });

  describe('options', () => {
    it('refuses garbage keys and a key on a read-only store with a ValidationError', async () => {
      const path = await logWith(newPath(), 1);
      for (const signingKey of ['garbage', keys.publicPem, 7]) {
        const error = await rejection(sqliteStore({ path, signingKey: signingKey as never }));
        expect(isPlanflowError(error, 'planflow:invalid-options')).toBe(true);
        expect((error as Error).message).toContain('openssl genpkey -algorithm ed25519');
      }
      const readOnly = await rejection(
        sqliteStore({ path, readOnly: true, signingKey: keys.privateKey }),
      );
      expect((readOnly as Error).message).toMatch(
        /signingKey and readOnly: true exclude each other/,
      );
      const badVerify = await sqliteStore({ path, readOnly: true });
      expect(
        isPlanflowError(
          await rejection(badVerify.verify({ publicKey: 'x' })),
          'planflow:invalid-options',
        ),
      ).toBe(true);
      await badVerify.close();
    });
  });
});

async function readAllOf(path: string): Promise<StoredEvent[]> {
  const store = await sqliteStore({ path, readOnly: true, verifyOnOpen: false });
  try {
    return await readAll(store);
  } finally {
    await store.close();
  }
}
