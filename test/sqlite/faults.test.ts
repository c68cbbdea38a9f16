import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptLogError, StorageError } from '../../src/domain/errors.js';
import { inspectLog } from '../../src/sqlite/inspectLog.js';
import { repairLog } from '../../src/sqlite/repair.js';
import { sqliteStore } from '../../src/sqlite/sqliteStore.js';
import { makeUnwritable, orFail, readOnlyBindMount } from '../helpers/readOnlyFiles.js';
import {
  btreePages,
  clock,
  flipByte,
  logWith,
  raw,
  readAll,
  rejection,
  started,
  useTempLogPaths,
} from '../helpers/sqliteFixtures.js';
import { mountTmpfs } from '../helpers/tmpfs.js';

const newPath = useTempLogPaths();

/** The error must be a StorageError with this code, naming the path, keeping the cause. */
function expectStorageError(error: unknown, code: string, path: string, transient: boolean) {
  expect(error).toBeInstanceOf(StorageError);
  expect(error).toMatchObject({ code, path, transient });
  expect((error as Error).message).toContain(path);
}

const disk = mountTmpfs(1 << 20);
const noTmpfs = 'skip' in disk ? disk.skip : undefined;
if (noTmpfs !== undefined) console.warn(`SKIPPED disk-full tests: ${noTmpfs}`);
if (!('skip' in disk)) disk.unmount();

describe('sqliteStore › finding 5: storage faults are typed', () => {
  it('a read-only log file: reads work opened readOnly, an append is a StorageError naming the file', async () => {
    const path = await logWith(newPath(), 3);
    const undo = orFail(makeUnwritable(path));
    try {
      const reader = await sqliteStore({ path, clock, readOnly: true });
      expect((await readAll(reader)).length).toBe(3);
      expectStorageError(
        await rejection(reader.append([started('x')])),
        'planflow:storage-read-only',
        path,
        false,
      );
      await reader.close();
      const writer = await sqliteStore({ path, clock });
      const error = await rejection(writer.append([started('x')]));
      expectStorageError(error, 'planflow:storage-read-only', path, false);
      expect((error as StorageError).cause).toMatchObject({ code: 'SQLITE_READONLY' });
      await writer.close();
    } finally {
      undo();
    }
  });

  it('a read-only directory: opening is a StorageError that says SQLite needs its side files', async () => {
    const path = await logWith(newPath(), 2);
    const undo = orFail(readOnlyBindMount(dirname(path)));
    try {
      for (const readOnly of [false, true]) {
        const error = await rejection(sqliteStore({ path, clock, readOnly }));
        expectStorageError(error, 'planflow:storage-read-only', path, false);
        expect((error as Error).message).toMatch(/directory .* is read-only.*-wal/);
      }
    } finally {
      undo();
    }
  });

  it('a missing directory or file: storage-unavailable, and nothing is created', async () => {
    const inMissingDir = join(dirname(newPath()), 'no-such-dir', 'log.db');
    const error = await rejection(sqliteStore({ path: inMissingDir, clock }));
    expectStorageError(error, 'planflow:storage-unavailable', inMissingDir, false);
    expect((error as Error).message).toMatch(/directory .*no-such-dir" does not exist/);
    expect(existsSync(dirname(inMissingDir))).toBe(false);
    const missing = newPath();
    const readOnly = await rejection(sqliteStore({ path: missing, clock, readOnly: true }));
    expectStorageError(readOnly, 'planflow:storage-unavailable', missing, false);
    expect(readdirSync(dirname(missing))).toEqual([]);
  });

  it('a zero-byte file opened readOnly is refused and stays zero bytes, with no side files', async () => {
    const path = newPath();
    writeFileSync(path, '');
    const error = await rejection(sqliteStore({ path, clock, readOnly: true }));
    expectStorageError(error, 'planflow:not-a-log', path, false);
    expect((error as Error).message).toMatch(/empty \(0 bytes\)/);
    expect(readFileSync(path).length).toBe(0);
    expect(readdirSync(dirname(path))).toEqual(['log.db']);
  });

  it('a foreign SQLite file is refused as not-a-log and left unchanged, readOnly or not', async () => {
    const path = newPath();
    raw(path, 'CREATE TABLE users (id INTEGER)');
    const before = readFileSync(path);
    for (const readOnly of [false, true]) {
      const error = await rejection(sqliteStore({ path, clock, readOnly }));
      expectStorageError(error, 'planflow:not-a-log', path, false);
    }
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it.skipIf(noTmpfs !== undefined)(
    'a full disk: append is a transient storage-full error, nothing half-written, and works once space is freed',
    async () => {
      const full = mountTmpfs(1 << 20);
      if ('skip' in full) throw new Error(full.skip);
      try {
        const path = join(full.path, 'log.db');
        const store = await sqliteStore({ path, clock });
        await store.append([started('first')]);
        const filler = join(full.path, 'filler');
        let error: unknown;
        for (let i = 0; i < 10_000 && error === undefined; i++) {
          // Fill what is left, then keep appending until SQLite cannot grow the WAL.
          if (i === 0) {
            try {
              writeFileSync(filler, Buffer.alloc(1 << 20));
            } catch {
              // ENOSPC part-way: the file holds what fitted.
            }
          }
          error = await rejection(store.append([started(`x${i}`.padEnd(2000, 'x'))]));
        }
        expectStorageError(error, 'planflow:storage-full', path, true);
        const head = await store.head();
        writeFileSync(filler, '');
        const [after] = await store.append([started('after')]);
        expect(after!.seq).toBe(head.seq + 1);
        expect(await store.verify()).toMatchObject({ ok: true });
        await store.close();
        const fresh = await rejection(sqliteStore({ path: join(full.path, 'new.db'), clock }));
        expect(fresh).toBeUndefined();
      } finally {
        full.unmount();
      }
    },
  );

  it('damaged table pages: open refuses with CorruptLogError, reads without verifying are typed too', async () => {
    const path = await logWith(newPath(), 300);
    const { pageSize, pages } = btreePages(path, 'events');
    const leaf = pages.find((page) => page.pagetype === 'leaf' && page.pageno > 2)!;
    // The page's cell-count field: SQLite sees a page that cannot be what it says it is.
    for (const at of [3, 4]) flipByte(path, (leaf.pageno - 1) * pageSize + at);
    flipByte(path, (leaf.pageno - 1) * pageSize + 4);
    const error = await rejection(sqliteStore({ path, clock, verifyOnOpen: 'full' }));
    expect(error).toBeInstanceOf(CorruptLogError);
    expect(error).toMatchObject({ damage: 'file', path });
    const unchecked = await sqliteStore({ path, clock, verifyOnOpen: false });
    const read = await rejection(readAll(unchecked));
    expect(read).toBeInstanceOf(CorruptLogError);
    const verified = await unchecked.verify({ full: true });
    expect(verified.ok).toBe(false);
    await unchecked.close();
    const inspection = await inspectLog(path, { full: true });
    expect(inspection.ok).toBe(false);
    expect(inspection.storageProblems.length).toBeGreaterThan(0);
  });

  it('repair rebuilds a log with damaged table pages from the entries before them', async () => {
    const path = await logWith(newPath(), 300);
    const { pageSize, pages } = btreePages(path, 'events');
    const leaves = pages.filter((page) => page.pagetype === 'leaf');
    const victim = leaves[Math.floor(leaves.length / 2)]!;
    flipByte(path, (victim.pageno - 1) * pageSize + 3);
    const result = await repairLog(path, { clock });
    expect(result.method).toBe('rebuild');
    expect(result.keptEntries).toBeGreaterThan(0);
    expect(result.keptEntries).toBeLessThan(300);
    expect(result.keptEntries + result.removedEntries).toBe(300);
    expect(await inspectLog(path)).toMatchObject({
      ok: true,
      chain: { entries: result.keptEntries },
    });
    expect(readFileSync(result.backupPath).length).toBeGreaterThan(0);
  });

  it('repair says why it cannot when the file is not a database at all, and changes nothing', async () => {
    const path = newPath();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, Buffer.alloc(8192, 0x5a));
    const error = await rejection(repairLog(path, { clock }));
    expect(error).toBeInstanceOf(CorruptLogError);
    expect((error as Error).message).toMatch(/not an SQLite database|cannot repair/);
    expect(readFileSync(path).equals(Buffer.alloc(8192, 0x5a))).toBe(true);
    expect(readdirSync(dirname(path))).toEqual(['log.db']);
  });
});
