import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { DependencyError } from '../domain/errors.js';

/** The better-sqlite3 module: the `Database` constructor with `SqliteError` on it. */
export type BetterSqlite3 = typeof Database;

const PACKAGE = 'better-sqlite3';
const INSTALL = `npm install ${PACKAGE}@12`;

const isModuleNotFound = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === 'MODULE_NOT_FOUND';

/**
 * Loads the driver `specifier` as seen from the module at `from`. better-sqlite3 is an
 * optional peer dependency, so it is required on first use rather than imported: importing
 * `planflow/sqlite` (or the CLI) never fails, and using the store without the driver is a
 * {@link DependencyError} that says what to install instead of Node's bare
 * `ERR_MODULE_NOT_FOUND`. `require` also keeps the load synchronous, so `sqliteStore()` stays
 * synchronous and no entry point needs top-level await (which `require(esm)` refuses).
 * Resolving before loading tells "not installed" from "installed but broken" (a native
 * binding built for another Node.js): the two need different fixes.
 * @throws DependencyError when the package cannot be found or its module throws on load.
 */
export function loadDriver(specifier: string, from: string | URL): BetterSqlite3 {
  const require = createRequire(from);
  try {
    require.resolve(specifier);
  } catch (error) {
    if (!isModuleNotFound(error)) throw error;
    throw new DependencyError(
      PACKAGE,
      `planflow/sqlite: the SQLite store needs ${PACKAGE} 12, an optional peer dependency of planflow that is not installed (cannot find "${specifier}"); install it with: ${INSTALL}`,
      { cause: error },
    );
  }
  try {
    return require(specifier) as BetterSqlite3;
  } catch (error) {
    throw new DependencyError(
      PACKAGE,
      `planflow/sqlite: "${specifier}" is installed but failed to load (${(error as Error).message}); reinstall it with: ${INSTALL} (after a Node.js upgrade, "npm rebuild ${PACKAGE}" rebuilds its native binding)`,
      { cause: error },
    );
  }
}

let driver: BetterSqlite3 | undefined;

/**
 * better-sqlite3, loaded on first call and cached. The only way PlanFlow loads it.
 * @throws DependencyError when it is not installed or does not load; the message names the
 * install command.
 */
export function loadBetterSqlite3(): BetterSqlite3 {
  driver ??= loadDriver(PACKAGE, import.meta.url);
  return driver;
}
