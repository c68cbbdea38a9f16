import { createRequire } from 'node:module';
import { DependencyError } from '../domain/errors.js';

/** What a store says about the optional peer driver it loads. */
export type PeerDriver = Readonly<{
  /** The package name, e.g. `pg`. */
  packageName: string;
  /** The command that installs it, e.g. `npm install pg@8`. */
  install: string;
  /** Who needs it and which version, opening the message: `planflow/postgres: the PostgreSQL store needs pg 8 (node-postgres)`. */
  neededBy: string;
  /** The entry point named in the messages, e.g. `planflow/postgres`. */
  entryPoint: string;
  /** Appended to the "installed but failed to load" message (a rebuild hint), if any. */
  loadFailureHint?: string;
}>;

const isModuleNotFound = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === 'MODULE_NOT_FOUND';

/**
 * Requires the driver `specifier` as seen from the module at `from`. The drivers are optional
 * peer dependencies, so they are required on first use rather than imported: importing a
 * store's entry point (or the CLI) never fails, and using the store without its driver is a
 * {@link DependencyError} that says what to install instead of Node's bare
 * `ERR_MODULE_NOT_FOUND`. `require` also keeps the load synchronous, so no entry point needs
 * top-level await (which `require(esm)` refuses). Resolving before loading tells "not
 * installed" from "installed but broken" (a native binding built for another Node.js): the
 * two need different fixes.
 * @throws DependencyError when the package cannot be found or its module throws on load.
 */
export function requirePeerDriver<T>(driver: PeerDriver, specifier: string, from: string | URL): T {
  const require = createRequire(from);
  try {
    require.resolve(specifier);
  } catch (error) {
    if (!isModuleNotFound(error)) throw error;
    throw new DependencyError(
      driver.packageName,
      `${driver.neededBy}, an optional peer dependency of planflow that is not installed (cannot find "${specifier}"); install it with: ${driver.install}`,
      { cause: error },
    );
  }
  try {
    return require(specifier) as T;
  } catch (error) {
    throw new DependencyError(
      driver.packageName,
      `${driver.entryPoint}: "${specifier}" is installed but failed to load (${(error as Error).message}); reinstall it with: ${driver.install}${driver.loadFailureHint ?? ''}`,
      { cause: error },
    );
  }
}
