/**
 * `planflow/postgres`: the PostgreSQL event store. A separate entry point so that importing
 * `planflow` never loads the `pg` driver (an optional peer dependency).
 */
export type { PgMigration } from './pgSchema.js';
export { PG_SCHEMA_VERSION, pgMigrations } from './pgSchema.js';
export type { PostgresStore } from './postgresStore.js';
export { postgresStore } from './postgresStore.js';
export type { PgVerifyOnOpen, PostgresStoreOptions } from './postgresStoreOptions.js';
