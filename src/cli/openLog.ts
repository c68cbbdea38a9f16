import type { KeyObject } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { StorageError } from '../domain/errors.js';
import type { CalendarInput } from '../domain/types.js';
import { EventLog } from '../log/EventLog.js';
import type { StoreClock } from '../log/EventStore.js';
import { type PostgresStore, postgresStore } from '../postgres/index.js';
import {
  DEFAULT_SCHEMA,
  isPostgresUrl,
  parsePostgresUrl,
} from '../postgres/postgresStoreOptions.js';
import { createScheduler } from '../scheduler/createScheduler.js';
import type { Handlers } from '../scheduler/handlers.js';
import type { SmartScheduler } from '../scheduler/SmartScheduler.js';
import { type SqliteStore, sqliteStore } from '../sqlite/index.js';
import { refuseLostLog } from '../sqlite/sqliteCheckpoints.js';
import type { Clock } from '../time/Clock.js';
import type { CommandContext } from './context.js';
import { inputError } from './exitCodes.js';
import type { ResolvedIo } from './io.js';

/** The store a command works on: an SQLite file, or a PostgreSQL schema (`--db postgres://…`). */
export type CliStore = SqliteStore | PostgresStore;

/**
 * The `--db` path resolved against the CLI's working directory; a `postgres://` or
 * `postgresql://` connection string (with `?schema=<name>`, default `planflow`) as given.
 */
export function resolveDbPath(db: string, io: ResolvedIo): string {
  return isPostgresUrl(db) ? db : resolve(io.cwd, db);
}

/** `--db` as messages show it: the file, or the schema and server (never a password). */
export function dbLabel(path: string): string {
  if (!isPostgresUrl(path)) return path;
  const { server, schema } = parsePostgresUrl('planflow', path);
  return `schema "${schema ?? DEFAULT_SCHEMA}" at ${server}`;
}

/**
 * `--db` as a message may suggest typing it again: a file path as given, a connection string
 * without its password (a message lands in terminals, CI logs and tickets). Says whether a
 * password was left out, so the message can say how to give it.
 */
export function dbArgument(path: string): Readonly<{ text: string; passwordLeftOut: boolean }> {
  if (!isPostgresUrl(path)) return { text: path, passwordLeftOut: false };
  try {
    const url = new URL(path);
    if (url.password === '') return { text: path, passwordLeftOut: false };
    url.password = '';
    return { text: url.toString(), passwordLeftOut: true };
  } catch {
    return { text: dbLabel(path), passwordLeftOut: false };
  }
}

/**
 * Refuses `--db postgres://…` for a command that works on SQLite files only (archive,
 * repair), naming what to do instead.
 */
export function requireSqliteDb(path: string, command: string): void {
  if (!isPostgresUrl(path)) return;
  throw inputError(
    '--db',
    `planflow ${command} works on SQLite log files; a PostgreSQL log is kept and backed up by its server (pg_dump the schema), and verified with planflow verify --db <url>`,
  );
}

/** How a command opens the log. */
export type OpenLogFlags = Readonly<{
  /** Check the hash chain of what was appended since the verified mark first (see `sqliteStore`'s `'new'`). @default true */
  verifyOnOpen?: boolean;
  /**
   * Open for reading only: nothing is created, converted, migrated or written, and the log
   * can be read from a read-only file. Every command that only reads uses it. @default false
   */
  readOnly?: boolean;
  /**
   * The Ed25519 key to sign the log's checkpoints with (commands that write pass
   * `ctx.signingKey()`); ignored when `readOnly`. @default undefined (nothing is signed)
   */
  signingKey?: KeyObject | undefined;
  /** Time source of the store's stamps (a command's `io.clock`). @default the system clock */
  clock?: StoreClock | undefined;
}>;

/**
 * Refuses a path where no log can be: a missing file (exit 2: the input was wrong) or an
 * empty one (exit 1: the file is not a log). Only `planflow init` creates a log.
 */
export function requireLogFile(path: string): void {
  // A PostgreSQL schema is checked when it is opened.
  if (isPostgresUrl(path)) return;
  // A log that is gone while its signed head file says entries were written was lost.
  refuseLostLog('planflow', path);
  if (!existsSync(path)) {
    throw inputError(
      '--db',
      `no PlanFlow log at "${path}"; run "planflow init" first (or point --db at an existing log)`,
    );
  }
  if (statSync(path).isFile() && statSync(path).size === 0) {
    throw new StorageError(
      'planflow:not-a-log',
      `"${path}" is an empty file, not a PlanFlow log; run "planflow init" to create the log there (or point --db at an existing log)`,
      { path },
    );
  }
}

/**
 * Opens the log of an initialised project. A missing file is refused instead of created
 * (exit 2), and an empty one (exit 1) instead of being turned into a log, so a mistyped
 * `--db` never leaves a log behind: only `planflow init` creates one.
 * @throws ValidationError when the file does not exist; StorageError when it is empty, not a
 * PlanFlow log or cannot be opened; CorruptLogError when it fails verification (unless
 * `verifyOnOpen` is false) or its schema is damaged.
 */
export async function openExistingStore(
  path: string,
  options: OpenLogFlags = {},
): Promise<CliStore> {
  requireLogFile(path);
  const readOnly = options.readOnly ?? false;
  if (isPostgresUrl(path)) return openExistingSchema(path, readOnly, options);
  return sqliteStore({
    path,
    // The chain after the verified mark: a command costs what was appended since the last
    // one, not the length of the history (`planflow verify --full` walks it all).
    verifyOnOpen: options.verifyOnOpen === false ? false : 'new',
    readOnly,
    ...(readOnly || options.signingKey === undefined ? {} : { signingKey: options.signingKey }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
}

/**
 * Opens the log in a PostgreSQL schema. For writing, the schema must hold a log already
 * (checked by opening it read-only first): only `planflow init` creates one.
 */
async function openExistingSchema(
  connectionString: string,
  readOnly: boolean,
  options: OpenLogFlags,
): Promise<PostgresStore> {
  const verifyOnOpen = options.verifyOnOpen === false ? false : 'new';
  if (!readOnly) {
    const probe = await postgresStore({ connectionString, readOnly: true, verifyOnOpen: false });
    await probe.close();
  }
  return postgresStore({
    connectionString,
    verifyOnOpen,
    readOnly,
    ...(readOnly || options.signingKey === undefined ? {} : { signingKey: options.signingKey }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
}

/** Runs `use` with an open store and closes it afterwards, whatever happens. */
export async function withStore<T>(
  path: string,
  use: (store: CliStore) => Promise<T>,
  options: OpenLogFlags = {},
): Promise<T> {
  const store = await openExistingStore(path, options);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/**
 * Runs `use` with the log of a command that writes: opened for writing and, when the
 * command was given a key (`--signing-key`, `$PLANFLOW_SIGNING_KEY_FILE`), signing its
 * checkpoints. The key is read before the log is opened, so a bad one changes nothing.
 */
export function withWritableStore<T>(
  ctx: CommandContext,
  use: (store: CliStore) => Promise<T>,
): Promise<T> {
  const signingKey = ctx.signingKey();
  return withStore(ctx.dbPath(), use, signingKey === undefined ? {} : { signingKey });
}

/** Folds an existing log for reading only: it is opened read-only, so nothing can change it. */
export function withLog<T>(path: string, use: (log: EventLog) => Promise<T> | T): Promise<T> {
  return withStore(path, async (store) => use(await EventLog.open(store)), { readOnly: true });
}

/**
 * `clock` with `now()` fixed at `nowMs`. A command that changes tasks happens at one instant:
 * `--at now`, the task's `createdAt` and the planning of its first run all read the same
 * time, so `--at now --every 1h` is due now rather than an hour later because a millisecond
 * passed between parsing and planning.
 */
export function frozenAt(clock: Clock, nowMs: number): Clock {
  return {
    now: () => nowMs,
    setTimeout: (callback, delayMs) => clock.setTimeout(callback, delayMs),
    clearTimeout: (handle) => clock.clearTimeout(handle),
  };
}

/**
 * A scheduler over `store`. Commands that change tasks or the calendar use one that is never
 * started, so planning (a new task's first run, cancellations) follows exactly the rules
 * `run` follows while no timer is armed and nothing runs; they pass `nowMs` to plan at the
 * instant the command was given (see {@link frozenAt}). `run` starts it on the live clock.
 */
export async function openScheduler(
  store: CliStore,
  io: ResolvedIo,
  options: Readonly<{
    handlers?: Handlers;
    calendar?: CalendarInput;
    stopTimeoutMs?: number;
    nowMs?: number;
  }> = {},
): Promise<SmartScheduler> {
  const scheduler = createScheduler({
    store,
    clock: options.nowMs === undefined ? io.clock : frozenAt(io.clock, options.nowMs),
    ...(options.handlers === undefined ? {} : { handlers: options.handlers }),
    ...(options.calendar === undefined ? {} : { calendar: options.calendar }),
    ...(options.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: options.stopTimeoutMs }),
  });
  await scheduler.ready;
  return scheduler;
}
