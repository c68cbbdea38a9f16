import { existsSync, statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { StorageError, ValidationError } from '../domain/errors.js';
import { loadBetterSqlite3 } from './loadBetterSqlite3.js';
import { schemaError, schemaProblems } from './logSchema.js';
import { logMigrations, type Migration, migrate, PLANFLOW_APPLICATION_ID } from './migrations.js';
import { storageFault } from './storageFault.js';

/** How much a commit waits for the disk; see docs/storage.md for the trade-off. */
export type SynchronousMode = 'NORMAL' | 'FULL';

/** How {@link openLogDatabase} opens the file. */
export type OpenLogOptions = Readonly<{
  /** Shown in errors. */
  component: string;
  /** `synchronous` of a writing connection (ignored when `readOnly`). */
  synchronous: SynchronousMode;
  /**
   * Open without any right to write: the file must exist and already be a PlanFlow log of
   * this version; nothing is created, converted or migrated, no pragma is written.
   */
  readOnly: boolean;
  /**
   * Accept a damaged schema (for repair and verify, which report it instead). The
   * application id and version are still checked.
   */
  allowDamagedSchema?: boolean;
  migrations?: readonly Migration[];
}>;

/** An open log file. */
export type LogDatabase = Readonly<{
  db: Database.Database;
  readOnly: boolean;
  /** What is off in the schema (always empty unless `allowDamagedSchema`). */
  schemaProblems: readonly string[];
  /** Closes the connection (and the side files a read-only connection left, see below). */
  close(): void;
}>;

const sideFiles = (path: string): string[] => [`${path}-wal`, `${path}-shm`];

/**
 * A read-only connection cannot remove the `-wal` and `-shm` files it made SQLite create, so
 * a reader would leave two new files behind next to a log that had none. A short-lived
 * writing connection that only reads removes them on close — and SQLite does that only when
 * it is the last connection, so a writer that opened meanwhile keeps its files.
 */
function tidySideFiles(path: string): void {
  if (!sideFiles(path).some((file) => existsSync(file))) return;
  try {
    const tidier = new (loadBetterSqlite3())(path, { fileMustExist: true });
    try {
      tidier.prepare('SELECT 1 FROM sqlite_schema LIMIT 1').get();
    } finally {
      tidier.close();
    }
  } catch {
    // Best effort: a file that cannot be opened for writing keeps its side files.
  }
}

function notALog(path: string, why: string, fix: string, component: string): StorageError {
  return new StorageError(
    'planflow:not-a-log',
    `${component}: "${path}" is not a PlanFlow log: ${why}; ${fix}`,
    { path },
  );
}

function checkHeader(db: Database.Database, path: string, options: OpenLogOptions): void {
  const { component, readOnly } = options;
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  if (applicationId === PLANFLOW_APPLICATION_ID) return;
  const objects = db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get() as number;
  if (applicationId !== 0 || objects > 0) {
    throw notALog(
      path,
      `it is an SQLite file of another application (application_id ${applicationId}, ${objects} schema objects)`,
      'pass the path of a PlanFlow log or of a new file (it was left unchanged)',
      component,
    );
  }
  if (readOnly) {
    const empty = path !== ':memory:' && statSync(path).size === 0;
    throw notALog(
      path,
      empty ? 'the file is empty (0 bytes)' : 'it is an empty SQLite database',
      'opening read-only creates nothing — create the log first (planflow init, or open it without readOnly)',
      component,
    );
  }
  db.pragma(`application_id = ${PLANFLOW_APPLICATION_ID}`);
}

function checkVersion(db: Database.Database, path: string, options: OpenLogOptions): void {
  const migrations = options.migrations ?? logMigrations;
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > migrations.length) {
    throw new ValidationError(
      'planflow:invalid-options',
      'path',
      `${options.component}: "${path}" has log schema version ${version}, but this PlanFlow only knows versions up to ${migrations.length}; upgrade PlanFlow to open it (the file was left unchanged)`,
    );
  }
  if (version < migrations.length) {
    throw notALog(
      path,
      `its schema is at version ${version}, this PlanFlow needs ${migrations.length}, and a read-only open does not migrate`,
      'open it once without readOnly (any writing planflow command does) to migrate it',
      options.component,
    );
  }
}

/**
 * Opens a log file with the settings every PlanFlow connection uses. A writing connection
 * creates the file if needed, runs in WAL mode (readers never block the writer) at the chosen
 * `synchronous` level, and migrates the schema to the newest version. A read-only one
 * requires an existing PlanFlow log of this version and writes nothing.
 *
 * Either way the file's schema is then checked against what the migrations build (see
 * {@link schemaProblems}). A foreign, empty (read-only) or damaged file is refused with a
 * typed error that says what to do, and is never modified; so is a storage fault.
 */
export function openLogDatabase(path: string, options: OpenLogOptions): LogDatabase {
  const { readOnly, synchronous } = options;
  const migrations = options.migrations ?? logMigrations;
  const site = { component: options.component, path, operation: 'open' };
  const hadSideFiles = readOnly && sideFiles(path).some((file) => existsSync(file));
  let db: Database.Database | undefined;
  const close = (): void => {
    db?.close();
    if (readOnly && !hadSideFiles) tidySideFiles(path);
  };
  try {
    db = readOnly
      ? new (loadBetterSqlite3())(path, { readonly: true, fileMustExist: true })
      : new (loadBetterSqlite3())(path);
    // Reading the header first surfaces a damaged file before anything is written to it.
    checkHeader(db, path, options);
    if (readOnly) checkVersion(db, path, options);
    else {
      if (path !== ':memory:') db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${synchronous}`);
      migrate(db, path, migrations);
    }
    const problems = schemaProblems(db, migrations);
    if (problems.length > 0 && options.allowDamagedSchema !== true) {
      throw schemaError(options.component, path, problems);
    }
    return { db, readOnly, schemaProblems: problems, close };
  } catch (error) {
    try {
      close();
    } catch {
      // The original error says more than a failing close.
    }
    throw storageFault(error, site);
  }
}
