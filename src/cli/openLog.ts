import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CalendarInput } from '../domain/types.js';
import { EventLog } from '../log/EventLog.js';
import type { Clock } from '../runtime/Clock.js';
import type { Handlers } from '../runtime/handlers.js';
import { SmartScheduler } from '../runtime/SmartScheduler.js';
import { type SqliteStore, sqliteStore } from '../sqlite/index.js';
import { inputError } from './exitCodes.js';
import type { ResolvedIo } from './io.js';

/** The `--db` path resolved against the CLI's working directory. */
export function resolveDbPath(db: string, io: ResolvedIo): string {
  return resolve(io.cwd, db);
}

/**
 * Opens the log of an initialised project. A missing file is refused instead of created, so
 * a mistyped `--db` or a read-only command never leaves an empty log behind.
 * @throws ValidationError when the file does not exist; CorruptLogError when it fails
 * verification (unless `verifyOnOpen` is false).
 */
export async function openExistingStore(
  path: string,
  options: Readonly<{ verifyOnOpen?: boolean }> = {},
): Promise<SqliteStore> {
  if (!existsSync(path)) {
    throw inputError(
      '--db',
      `no PlanFlow log at "${path}"; run "planflow init" first (or point --db at an existing log)`,
    );
  }
  return sqliteStore({ path, verifyOnOpen: options.verifyOnOpen ?? true });
}

/** Runs `use` with an open store and closes it afterwards, whatever happens. */
export async function withStore<T>(
  path: string,
  use: (store: SqliteStore) => Promise<T>,
  options: Readonly<{ verifyOnOpen?: boolean }> = {},
): Promise<T> {
  const store = await openExistingStore(path, options);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** Folds an existing log for reading only: nothing is ever appended through it. */
export function withLog<T>(path: string, use: (log: EventLog) => Promise<T> | T): Promise<T> {
  return withStore(path, async (store) => use(await EventLog.open(store)));
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
  store: SqliteStore,
  io: ResolvedIo,
  options: Readonly<{
    handlers?: Handlers;
    calendar?: CalendarInput;
    stopTimeoutMs?: number;
    nowMs?: number;
  }> = {},
): Promise<SmartScheduler> {
  const scheduler = new SmartScheduler({
    store,
    clock: options.nowMs === undefined ? io.clock : frozenAt(io.clock, options.nowMs),
    ...(options.handlers === undefined ? {} : { handlers: options.handlers }),
    ...(options.calendar === undefined ? {} : { calendar: options.calendar }),
    ...(options.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: options.stopTimeoutMs }),
  });
  await scheduler.ready;
  return scheduler;
}
