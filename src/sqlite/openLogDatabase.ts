import type Database from 'better-sqlite3';
import { CorruptLogError, ValidationError } from '../domain/errors.js';
import { loadBetterSqlite3 } from './loadBetterSqlite3.js';
import { logMigrations, type Migration, migrate, PLANFLOW_APPLICATION_ID } from './migrations.js';

/** How much a commit waits for the disk; see docs/storage.md for the trade-off. */
export type SynchronousMode = 'NORMAL' | 'FULL';

/** SQLite result codes meaning the file itself is damaged or not a database at all. */
const DAMAGED_FILE_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT']);

const sqliteCodeOf = (error: unknown, driver: typeof Database): string | undefined =>
  error instanceof driver.SqliteError ? error.code : undefined;

/**
 * Opens (creating if needed) a log file with the settings every PlanFlow connection uses:
 * WAL so readers never block the writer, the chosen `synchronous` level, and the schema
 * migrated to the newest known version. A damaged or foreign file is refused with an error
 * that says what to do, and is never modified.
 * @throws DependencyError when better-sqlite3 is not installed (nothing is opened then).
 */
export function openLogDatabase(
  path: string,
  synchronous: SynchronousMode,
  migrations: readonly Migration[] = logMigrations,
): Database.Database {
  const Driver = loadBetterSqlite3();
  let db: Database.Database | undefined;
  try {
    db = new Driver(path);
    // Reading the header first surfaces a damaged file before anything is written to it.
    const applicationId = db.pragma('application_id', { simple: true }) as number;
    if (applicationId !== PLANFLOW_APPLICATION_ID) {
      const objects = db.prepare('SELECT count(*) AS n FROM sqlite_schema').get() as { n: number };
      if (applicationId !== 0 || objects.n > 0) {
        throw new ValidationError(
          'planflow:invalid-options',
          'path',
          `sqliteStore: "${path}" is an SQLite file of another application (application_id ${applicationId}, ${objects.n} schema objects), not a PlanFlow log; pass the path of a PlanFlow log or of a new file`,
        );
      }
      db.pragma(`application_id = ${PLANFLOW_APPLICATION_ID}`);
    }
    if (path !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    migrate(db, path, migrations);
    return db;
  } catch (error) {
    db?.close();
    const code = sqliteCodeOf(error, Driver);
    if (code !== undefined && DAMAGED_FILE_CODES.has(code)) {
      throw new CorruptLogError(
        1,
        `sqliteStore: "${path}" is not a readable SQLite database (${code}: ${(error as Error).message}); no entry can be trusted — restore the file from a backup or point options.path at a new file`,
      );
    }
    throw error;
  }
}
