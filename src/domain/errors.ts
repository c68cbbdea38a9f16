import type { InstanceLease } from './types.js';

/**
 * The PlanFlow error hierarchy. Every error the library throws on purpose is a
 * {@link PlanflowError} with a stable `code`, so callers can branch on codes instead of
 * parsing messages. Messages name the component, what is wrong and how to fix it.
 */

/** Stable error codes. New codes may be added; existing ones never change meaning. */
export type PlanflowErrorCode =
  | 'planflow:invalid-input'
  | 'planflow:invalid-task'
  | 'planflow:invalid-calendar'
  | 'planflow:invalid-occurrence'
  | 'planflow:invalid-options'
  | 'planflow:not-found'
  | 'planflow:commands-not-approved'
  | 'planflow:output-failed'
  | 'planflow:concurrency'
  | 'planflow:already-triggered'
  | 'planflow:already-settled'
  | 'planflow:corrupt-log'
  | StorageErrorCode
  | 'planflow:store-closed'
  | 'planflow:scheduler-stopped'
  | 'planflow:degraded'
  | 'planflow:log-held'
  | 'planflow:invalid-state'
  | 'planflow:missing-dependency';

/**
 * Codes of {@link StorageError}: the storage under a store failed or is not a log.
 * - `storage-read-only`: the file, its directory or the store itself cannot be written.
 * - `storage-unavailable`: the path or its directory is missing, cannot be opened, or (for a
 *   server store) the connection is lost.
 * - `storage-full`: the disk or file system is full.
 * - `storage-io`: the operating system reported an I/O error.
 * - `storage-busy`: another process holds the lock longer than the store waits.
 * - `not-a-log`: the path holds something else: another application's database, an empty
 *   file, a directory.
 */
export type StorageErrorCode =
  | 'planflow:storage-read-only'
  | 'planflow:storage-unavailable'
  | 'planflow:storage-full'
  | 'planflow:storage-io'
  | 'planflow:storage-busy'
  | 'planflow:not-a-log';

/** Base class of every error PlanFlow throws deliberately. */
export class PlanflowError extends Error {
  override readonly name: string = 'PlanflowError';
  readonly code: PlanflowErrorCode;

  constructor(code: PlanflowErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Untrusted input (task, calendar, options, CLI argument) failed validation. */
export class ValidationError extends PlanflowError {
  override readonly name = 'ValidationError';
  /** Dotted path of the offending field, e.g. `retry.maxRetries`. */
  readonly field: string;

  constructor(
    code: Extract<
      PlanflowErrorCode,
      | 'planflow:invalid-input'
      | 'planflow:invalid-task'
      | 'planflow:invalid-calendar'
      | 'planflow:invalid-occurrence'
      | 'planflow:invalid-options'
    >,
    field: string,
    message: string,
  ) {
    super(code, message);
    this.field = field;
  }
}

/**
 * A task or occurrence that was asked for does not exist. (A handler name that is not
 * registered is refused when the task is defined, as a `ValidationError`.)
 */
export class NotFoundError extends PlanflowError {
  override readonly name = 'NotFoundError';
  constructor(message: string) {
    super('planflow:not-found', message);
  }
}

/**
 * A write lost a race: another writer appended first, or the store refused a second
 * `occurrence.triggered` for the same occurrence (`planflow:already-triggered`).
 */
export class ConcurrencyError extends PlanflowError {
  override readonly name = 'ConcurrencyError';
  constructor(
    message: string,
    code:
      | 'planflow:concurrency'
      | 'planflow:already-triggered'
      | 'planflow:already-settled' = 'planflow:concurrency',
  ) {
    super(code, message);
  }
}

/**
 * What is damaged in a {@link CorruptLogError}:
 * - `chain`: an entry is changed, missing or torn (the hash chain breaks at `position`);
 * - `schema`: a table, index or trigger the guarantees rely on is missing or changed (for
 *   instance the unique index that keeps an occurrence from triggering twice);
 * - `file`: the storage's own structure (SQLite pages) is damaged.
 */
export type LogDamage = 'chain' | 'schema' | 'file';

/**
 * The event log cannot be trusted: a changed, missing or torn entry, a damaged schema, or
 * damaged storage pages. The message says what is off and how to repair it.
 */
export class CorruptLogError extends PlanflowError {
  override readonly name = 'CorruptLogError';
  /**
   * Sequence number of the first entry that does not verify; 1 when the damage is not tied
   * to one entry (`damage` `schema` or `file`), since then no entry is proven sound.
   */
  readonly position: number;
  /** What is damaged. @default 'chain' */
  readonly damage: LogDamage;
  /** The log's location, when the store has one. */
  readonly path: string | undefined;
  constructor(
    position: number,
    message: string,
    options: Readonly<{ damage?: LogDamage; path?: string; cause?: unknown }> = {},
  ) {
    super('planflow:corrupt-log', message, 'cause' in options ? { cause: options.cause } : {});
    this.position = position;
    this.damage = options.damage ?? 'chain';
    this.path = options.path;
  }
}

const TRANSIENT_STORAGE_CODES: ReadonlySet<StorageErrorCode> = new Set([
  'planflow:storage-full',
  'planflow:storage-io',
  'planflow:storage-busy',
]);

/**
 * The storage under a store failed: read-only, missing, full, an I/O error, locked, or not
 * a log at all. Raised by every store for its own driver's errors, so callers branch on
 * `code` and `transient` instead of on SQLite (or PostgreSQL) error codes. The driver's
 * error is kept as `cause`.
 *
 * `transient` says whether retrying the same call later can succeed without anyone
 * changing the setup: true for a full disk, an I/O error or a busy lock (a scheduler retries
 * those with backoff and reports itself degraded), false for a read-only file, a missing
 * path or a foreign file (retrying cannot help until someone fixes it). A server store sets
 * it per case, e.g. `storage-unavailable` with `transient: true` for a lost connection.
 */
export class StorageError extends PlanflowError {
  override readonly name = 'StorageError';
  declare readonly code: StorageErrorCode;
  /** The file (or database location) the failing operation worked on, when known. */
  readonly path: string | undefined;
  /** True when retrying later may succeed without changing the setup. */
  readonly transient: boolean;
  constructor(
    code: StorageErrorCode,
    message: string,
    options: Readonly<{ path?: string; cause?: unknown; transient?: boolean }> = {},
  ) {
    super(code, message, 'cause' in options ? { cause: options.cause } : {});
    this.path = options.path;
    this.transient = options.transient ?? TRANSIENT_STORAGE_CODES.has(code);
  }
}

/**
 * An operation does not fit the current state: a closed store, a stopped scheduler, or an
 * occurrence that already triggered being cancelled.
 */
export class StateError extends PlanflowError {
  override readonly name = 'StateError';
  constructor(
    code: 'planflow:store-closed' | 'planflow:scheduler-stopped' | 'planflow:invalid-state',
    message: string,
  ) {
    super(code, message);
  }
}

/**
 * The scheduler cannot write to its store (a full disk, an I/O error, a lost connection, or
 * a store that throws something other than a `PlanflowError`): it is `degraded`. Reported
 * once on `scheduler.errors` and `onError` when a degraded period begins, and thrown by
 * `triggerNow` when its trigger could not be recorded. The store's own error is `cause`.
 */
export class DegradedError extends PlanflowError {
  override readonly name = 'DegradedError';
  constructor(message: string, options: Readonly<{ cause: unknown }>) {
    super('planflow:degraded', message, { cause: options.cause });
  }
}

/**
 * Another running scheduler holds the log (`planflow:log-held`): its instance lease is live,
 * and this store allows one running scheduler at a time (SQLite, memory). Thrown by
 * `start()`, which then records nothing; reported on `scheduler.errors` when a running
 * scheduler finds its lease taken over (it turns `degraded` and triggers nothing by time
 * until it holds the lease again). `holders` are the live leases, each naming its instance,
 * pid, host and since when it runs.
 */
export class LogHeldError extends PlanflowError {
  override readonly name = 'LogHeldError';
  readonly holders: readonly InstanceLease[];
  constructor(message: string, holders: readonly InstanceLease[]) {
    super('planflow:log-held', message);
    this.holders = holders;
  }
}

/**
 * An optional peer dependency that an entry point needs is not installed or does not load
 * (`planflow/sqlite` without better-sqlite3). The message names the install command.
 */
export class DependencyError extends PlanflowError {
  override readonly name = 'DependencyError';
  /** The package that is missing, e.g. `better-sqlite3`. */
  readonly dependency: string;
  constructor(dependency: string, message: string, options?: { cause?: unknown }) {
    super('planflow:missing-dependency', message, options);
    this.dependency = dependency;
  }
}

/**
 * True when `error` is a {@link PlanflowError} (optionally with the given code).
 * @example
 * if (isPlanflowError(e, 'planflow:invalid-task')) console.error(e.message);
 */
export function isPlanflowError(error: unknown, code?: PlanflowErrorCode): error is PlanflowError {
  return error instanceof PlanflowError && (code === undefined || error.code === code);
}
