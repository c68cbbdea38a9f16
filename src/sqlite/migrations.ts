import type BetterSqlite3 from 'better-sqlite3';
import { ValidationError } from '../domain/errors.js';
import { rebuildProjection } from './sqliteProjection.js';

/**
 * The log file's own schema history. The version lives in SQLite's `user_version` header
 * field, which changes inside the same transaction as the migration's DDL, so a crash mid
 * migration leaves the file at the old version with the old tables — never in between.
 */

/** One step of the file's schema, applied inside a transaction. */
export type Migration = Readonly<{
  /** The `user_version` the file has after this step; steps are numbered 1, 2, 3 … */
  version: number;
  /** What the step changes, shown in errors and docs. */
  description: string;
  up(db: BetterSqlite3.Database): void;
}>;

/** Marks a file as a PlanFlow log (`PRAGMA application_id`), so foreign files are refused. */
export const PLANFLOW_APPLICATION_ID = 0x506c466c; // 'PlFl'

/** Every schema step, oldest first. Append new steps; never edit a released one. */
export const logMigrations: readonly Migration[] = Object.freeze([
  {
    version: 1,
    description: 'events table and one-trigger-per-stream index',
    up(db: BetterSqlite3.Database) {
      db.exec(`
        CREATE TABLE events (
          seq INTEGER PRIMARY KEY,
          id TEXT NOT NULL,
          type TEXT NOT NULL,
          time TEXT NOT NULL,
          stream TEXT NOT NULL,
          data TEXT NOT NULL,
          schema_version INTEGER NOT NULL,
          prev_hash TEXT NOT NULL,
          hash TEXT NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX events_one_trigger_per_stream
          ON events (stream) WHERE type = 'occurrence.triggered';
      `);
    },
  },
  {
    version: 2,
    description:
      'read model tables (occurrences, tasks, log_state), events.task_id, and their indexes, filled from the entries',
    up(db: BetterSqlite3.Database) {
      db.exec(`
        CREATE TABLE occurrences (
          first_seq INTEGER PRIMARY KEY,
          id TEXT NOT NULL UNIQUE,
          task_id TEXT NOT NULL,
          state TEXT NOT NULL,
          live INTEGER NOT NULL,
          holds_place INTEGER NOT NULL,
          scheduled_ms INTEGER NOT NULL,
          occurrence TEXT NOT NULL,
          execution TEXT,
          first_at TEXT,
          retries_left INTEGER
        ) STRICT;
        CREATE INDEX occurrences_by_task ON occurrences (task_id, first_seq);
        CREATE INDEX occurrences_live ON occurrences (first_seq) WHERE live = 1;
        CREATE INDEX occurrences_places ON occurrences (scheduled_ms) WHERE holds_place = 1;
        CREATE TABLE tasks (id TEXT PRIMARY KEY, task TEXT NOT NULL) STRICT;
        CREATE TABLE log_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
        ALTER TABLE events ADD COLUMN task_id TEXT;
        CREATE INDEX events_by_task ON events (task_id, seq) WHERE task_id IS NOT NULL;
      `);
      rebuildProjection(db);
    },
  },
  {
    version: 3,
    description: 'checkpoints table: signed (seq, hash) heads (see docs/security.md)',
    up(db: BetterSqlite3.Database) {
      db.exec(`
        CREATE TABLE checkpoints (
          seq INTEGER PRIMARY KEY,
          hash TEXT NOT NULL,
          time TEXT NOT NULL,
          key_id TEXT NOT NULL,
          signature TEXT NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    version: 4,
    description:
      'segments table: archive segments the log starts after (see docs/storage.md, "Retention and archives")',
    up(db: BetterSqlite3.Database) {
      db.exec(`
        CREATE TABLE segments (
          last_seq INTEGER PRIMARY KEY,
          first_seq INTEGER NOT NULL,
          count INTEGER NOT NULL,
          first_prev_hash TEXT NOT NULL,
          last_hash TEXT NOT NULL,
          sha256 TEXT NOT NULL,
          file TEXT NOT NULL,
          dir TEXT NOT NULL,
          bytes INTEGER NOT NULL,
          fact_seq INTEGER NOT NULL,
          archived_at TEXT NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    version: 5,
    description:
      'instance_leases table: the running scheduler\'s heartbeat, outside the hash chain (see docs/storage.md, "One running scheduler per file")',
    up(db: BetterSqlite3.Database) {
      db.exec(`
        CREATE TABLE instance_leases (
          instance_id TEXT PRIMARY KEY,
          pid INTEGER NOT NULL,
          host TEXT NOT NULL,
          started_ms INTEGER NOT NULL,
          renewed_ms INTEGER NOT NULL,
          expires_ms INTEGER NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    version: 6,
    description:
      'occurrences_places holds only settled occurrences: the live ones are in memory, and reading the settled places past 100 000 pending ones looked each pending row up to skip it',
    up(db: BetterSqlite3.Database) {
      db.exec(`
        DROP INDEX occurrences_places;
        CREATE INDEX occurrences_places ON occurrences (scheduled_ms) WHERE holds_place = 1 AND live = 0;
      `);
    },
  },
  {
    version: 7,
    description:
      'occurrences_waiting, occurrences_waiting_by_task and occurrences_triggered: a windowed live set loads the triggered occurrences and the waiting ones due soon, and counts the places of the rest, without reading every pending row',
    up(db: BetterSqlite3.Database) {
      db.exec(`
        CREATE INDEX occurrences_waiting ON occurrences (scheduled_ms, holds_place)
          WHERE live = 1 AND state = 'scheduled';
        CREATE INDEX occurrences_waiting_by_task ON occurrences (task_id, scheduled_ms)
          WHERE live = 1 AND state = 'scheduled';
        CREATE INDEX occurrences_triggered ON occurrences (first_seq)
          WHERE live = 1 AND state = 'triggered';
      `);
    },
  },
]);

/** The schema version this build writes and understands. */
export const LOG_SCHEMA_VERSION = logMigrations.length;

/** Result of {@link migrate}: where the file was and where it is now. */
export type MigrationOutcome = Readonly<{ from: number; to: number }>;

function checkOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new ValidationError(
        'planflow:invalid-options',
        `migrations[${index}].version`,
        `sqlite migrations: step ${index} must have version ${index + 1} (steps are numbered 1, 2, 3 … without gaps), got ${migration.version}`,
      );
    }
  });
}

/**
 * Brings the file to the newest version in `migrations`, one transaction per step. Refuses a
 * file written by a newer PlanFlow: reading it with an older schema could silently misread
 * or drop what the newer version stored.
 */
export function migrate(
  db: BetterSqlite3.Database,
  path: string,
  migrations: readonly Migration[] = logMigrations,
): MigrationOutcome {
  checkOrdered(migrations);
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > migrations.length) {
    throw new ValidationError(
      'planflow:invalid-options',
      'path',
      `sqliteStore: "${path}" has log schema version ${from}, but this PlanFlow only knows versions up to ${migrations.length}; upgrade PlanFlow to open it (the file was left unchanged)`,
    );
  }
  const versionNow = (): number => db.pragma('user_version', { simple: true }) as number;
  for (const migration of migrations.slice(from)) {
    // Re-read under the write lock: another process opening the same new file may have
    // applied this step between our first look and now.
    db.transaction(() => {
      if (versionNow() >= migration.version) return;
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
  return { from, to: Math.max(from, migrations.length) };
}
