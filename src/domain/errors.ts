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
  | 'planflow:concurrency'
  | 'planflow:already-triggered'
  | 'planflow:corrupt-log'
  | 'planflow:store-closed'
  | 'planflow:scheduler-stopped'
  | 'planflow:invalid-state'
  | 'planflow:handler-missing'
  | 'planflow:missing-dependency';

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

/** A task, occurrence or handler that was asked for does not exist. */
export class NotFoundError extends PlanflowError {
  override readonly name = 'NotFoundError';
  constructor(
    message: string,
    code: 'planflow:not-found' | 'planflow:handler-missing' = 'planflow:not-found',
  ) {
    super(code, message);
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
    code: 'planflow:concurrency' | 'planflow:already-triggered' = 'planflow:concurrency',
  ) {
    super(code, message);
  }
}

/** The event log failed verification: a changed, missing or torn entry. */
export class CorruptLogError extends PlanflowError {
  override readonly name = 'CorruptLogError';
  /** Sequence number of the first entry that does not verify. */
  readonly position: number;
  constructor(position: number, message: string) {
    super('planflow:corrupt-log', message);
    this.position = position;
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
