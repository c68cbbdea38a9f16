import { createRequire } from 'node:module';
import type Pg from 'pg';
import { DependencyError } from '../domain/errors.js';

/** The `pg` module (node-postgres): `Pool`, `Client`, `types`, `DatabaseError`. */
export type PgModule = typeof Pg;

const PACKAGE = 'pg';
const INSTALL = `npm install ${PACKAGE}@8`;

const isModuleNotFound = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === 'MODULE_NOT_FOUND';

/**
 * Loads the driver `specifier` as seen from the module at `from`. `pg` is an optional peer
 * dependency (SQLite and memory users never need it), so it is required on first use rather
 * than imported: importing `planflow/postgres` (or the CLI) never fails, and opening the
 * store without the driver is a {@link DependencyError} that names the install command.
 * @throws DependencyError when the package cannot be found or its module throws on load.
 */
export function loadPgDriver(specifier: string, from: string | URL): PgModule {
  const require = createRequire(from);
  try {
    require.resolve(specifier);
  } catch (error) {
    if (!isModuleNotFound(error)) throw error;
    throw new DependencyError(
      PACKAGE,
      `planflow/postgres: the PostgreSQL store needs ${PACKAGE} 8 (node-postgres), an optional peer dependency of planflow that is not installed (cannot find "${specifier}"); install it with: ${INSTALL}`,
      { cause: error },
    );
  }
  try {
    return require(specifier) as PgModule;
  } catch (error) {
    throw new DependencyError(
      PACKAGE,
      `planflow/postgres: "${specifier}" is installed but failed to load (${(error as Error).message}); reinstall it with: ${INSTALL}`,
      { cause: error },
    );
  }
}

let driver: PgModule | undefined;

/**
 * node-postgres, loaded on first call and cached. The only way PlanFlow loads it.
 * @throws DependencyError when it is not installed or does not load.
 */
export function loadPg(): PgModule {
  driver ??= loadPgDriver(PACKAGE, import.meta.url);
  return driver;
}
