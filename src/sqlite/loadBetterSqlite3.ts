import type Database from 'better-sqlite3';
import { type PeerDriver, requirePeerDriver } from '../log/requirePeerDriver.js';

/** The better-sqlite3 module: the `Database` constructor with `SqliteError` on it. */
export type BetterSqlite3 = typeof Database;

const BETTER_SQLITE3: PeerDriver = {
  packageName: 'better-sqlite3',
  install: 'npm install better-sqlite3@12',
  neededBy: 'planflow/sqlite: the SQLite store needs better-sqlite3 12',
  entryPoint: 'planflow/sqlite',
  loadFailureHint:
    ' (after a Node.js upgrade, "npm rebuild better-sqlite3" rebuilds its native binding)',
};

/**
 * Loads the driver `specifier` as seen from the module at `from` (see `requirePeerDriver`);
 * synchronous, so `sqliteStore()` stays synchronous.
 * @throws DependencyError when the package cannot be found or its module throws on load.
 */
export function loadDriver(specifier: string, from: string | URL): BetterSqlite3 {
  return requirePeerDriver<BetterSqlite3>(BETTER_SQLITE3, specifier, from);
}

let driver: BetterSqlite3 | undefined;

/**
 * better-sqlite3, loaded on first call and cached. The only way PlanFlow loads it.
 * @throws DependencyError when it is not installed or does not load; the message names the
 * install command.
 */
export function loadBetterSqlite3(): BetterSqlite3 {
  driver ??= loadDriver(BETTER_SQLITE3.packageName, import.meta.url);
  return driver;
}
