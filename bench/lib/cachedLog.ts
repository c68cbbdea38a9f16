import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sqliteStore } from '../../src/sqlite/index.js';
import { sampleEvents } from './sampleLog.js';

/** Bump when {@link sampleEvents} changes shape, so stale cached logs are not reused. */
const LOG_VERSION = 1;

/**
 * The path of an SQLite log holding `count` sample events, written by PlanFlow's own store
 * (so its hash chain verifies) the first time it is asked for and kept under
 * bench/results/cache/ (git-ignored) for later runs: writing a million events takes longer
 * than reading them.
 */
export async function cachedLog(count: number): Promise<string> {
  const dir = fileURLToPath(new URL('../results/cache/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const path = `${dir}log-v${LOG_VERSION}-${count}.db`;
  if (existsSync(path)) return path;
  const partial = `${path}.partial-${process.pid}`;
  const store = await sqliteStore({ path: partial, synchronous: 'NORMAL' });
  try {
    const events = sampleEvents(count);
    for (let start = 0; start < count; start += 10_000) {
      await store.append(events.slice(start, start + 10_000));
    }
  } finally {
    await store.close();
  }
  // Closing the last connection checkpoints the WAL into the main file, so the file alone
  // is the whole log; check that before publishing it under its final name.
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(`${partial}${suffix}`))
      throw new Error(`bench: ${partial}${suffix} was left behind`);
  }
  renameSync(partial, path);
  const check = await sqliteStore({ path, verifyOnOpen: false });
  const head = await check.head();
  await check.close();
  if (head.seq !== count) {
    rmSync(path, { force: true });
    throw new Error(`bench: cached log has ${head.seq} entries, expected ${count}`);
  }
  return path;
}
