/**
 * `planflow/sqlite`: the SQLite event store. A separate entry point so that importing
 * `planflow` never loads the native better-sqlite3 driver.
 */
export type { ArchiveLogOptions, ArchiveLogResult } from './archiveLog.js';
export { archiveLog } from './archiveLog.js';
export type { LogInspection } from './inspectLog.js';
export { inspectLog } from './inspectLog.js';
export type { Migration, MigrationOutcome } from './migrations.js';
export { LOG_SCHEMA_VERSION, logMigrations, migrate } from './migrations.js';
export type { SynchronousMode } from './openLogDatabase.js';
export type { RepairOptions, RepairResult } from './repair.js';
export { repairLog } from './repair.js';
export type { SqliteStore, SqliteStoreOptions } from './sqliteStore.js';
export { sqliteStore } from './sqliteStore.js';
