import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach } from 'vitest';
import type { NewEvent, StoredEvent } from '../../src/log/events.js';
import { streams } from '../../src/log/events.js';
import { type SqliteStore, sqliteStore } from '../../src/sqlite/sqliteStore.js';

/** Shared set-up of the SQLite test files: temp files, events, raw access to a log. */

/** Registers clean-up of temp dirs and returns a function that hands out fresh file paths. */
export function useTempLogPaths(): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'planflow-sqlite-'));
    dirs.push(dir);
    return join(dir, 'log.db');
  };
}

export const clock = { now: () => Date.parse('2026-03-02T08:00:00.000Z') };
export const started = (instanceId: string): NewEvent => ({
  type: 'scheduler.started',
  stream: streams.scheduler,
  data: { instanceId },
});
export const triggered = (occurrenceId: string): NewEvent => ({
  type: 'occurrence.triggered',
  stream: streams.occurrence(occurrenceId),
  data: { occurrenceId, attempt: 0, idempotencyKey: occurrenceId, lateByMs: 0 },
});
export async function readAll(store: SqliteStore): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for await (const batch of store.read()) all.push(...batch);
  return all;
}
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

/**
 * Counts commit frames in the WAL file of the current WAL generation: SQLite marks the last
 * frame of every committed transaction with the database size, so this counts transactions
 * from outside the store, without trusting its own bookkeeping.
 */
export function walCommits(path: string): number {
  const wal = readFileSync(`${path}-wal`);
  if (wal.length < 32) return 0;
  const pageSize = wal.readUInt32BE(8);
  const salt1 = wal.readUInt32BE(16);
  const salt2 = wal.readUInt32BE(20);
  let commits = 0;
  for (let offset = 32; offset + 24 + pageSize <= wal.length; offset += 24 + pageSize) {
    const sameGeneration =
      wal.readUInt32BE(offset + 8) === salt1 && wal.readUInt32BE(offset + 12) === salt2;
    if (sameGeneration && wal.readUInt32BE(offset + 4) !== 0) commits++;
  }
  return commits;
}

/** Writes a closed log of `n` entries at `path` and returns the path. */
export async function logWith(path: string, n: number): Promise<string> {
  const store = await sqliteStore({ path, clock, synchronous: 'NORMAL' });
  for (let i = 1; i <= n; i++) await store.append([started(`i${i}`)]);
  await store.close();
  return path;
}

export function raw(path: string, sql: string, ...params: unknown[]): void {
  const db = new Database(path);
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

/** The one-trigger-per-stream index: its damage is what findings about at-most-once are about. */
export const TRIGGER_INDEX = 'events_one_trigger_per_stream';

/**
 * Writes a closed log of `n` occurrences, each `scheduled`-less but `triggered` once, with a
 * `scheduler.started` first, and returns the path. 400 triggers fill several index pages.
 */
export async function logWithTriggers(path: string, n: number): Promise<string> {
  const store = await sqliteStore({ path, clock, synchronous: 'NORMAL' });
  await store.append([started('boot')]);
  for (let i = 0; i < n; i += 100) {
    await store.append(
      Array.from({ length: Math.min(100, n - i) }, (_, k) => triggered(`o${i + k}`)),
    );
  }
  await store.close();
  return path;
}

/** Pages of a B-tree (table or index) as `dbstat` lists them, and the file's page size. */
export function btreePages(
  path: string,
  name: string,
): Readonly<{ pageSize: number; pages: { pageno: number; pagetype: string }[] }> {
  const db = new Database(path, { readonly: true });
  try {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const pages = db
      .prepare('SELECT pageno, pagetype FROM dbstat WHERE name = ? ORDER BY pageno')
      .all(name) as { pageno: number; pagetype: string }[];
    return { pageSize, pages };
  } finally {
    db.close();
  }
}

/** Flips the low bit of the byte at `offset` of the file, as bit rot would. */
export function flipByte(path: string, offset: number): void {
  const bytes = readFileSync(path);
  bytes[offset] = (bytes[offset] ?? 0) ^ 0x01;
  writeFileSync(path, bytes);
}

/**
 * The file offset of a byte inside a live key of the trigger index: the `o` of
 * `occurrence:` in the first cell of its first leaf page (found through the page's cell
 * pointer array, since free space still holds stale copies of moved keys). Flipping it turns
 * the key into one no later trigger looks for, which is how a single bad byte switches
 * at-most-once off.
 */
export function triggerKeyOffset(path: string): number {
  const { pageSize, pages } = btreePages(path, TRIGGER_INDEX);
  const leaf = pages.find((page) => page.pagetype === 'leaf');
  if (leaf === undefined) throw new Error(`${path}: the trigger index has no leaf page`);
  const start = (leaf.pageno - 1) * pageSize;
  const page = readFileSync(path).subarray(start, start + pageSize);
  // B-tree leaf page header: 8 bytes, then one 2-byte big-endian offset per cell.
  const firstCell = page.readUInt16BE(8);
  const at = page.indexOf('occurrence:o', firstCell);
  if (at < 0) throw new Error(`${path}: no trigger key found on index page ${leaf.pageno}`);
  return start + at;
}
