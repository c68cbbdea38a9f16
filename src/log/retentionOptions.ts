import { ValidationError } from '../domain/errors.js';
import { parseDurationOption } from '../domain/validateDuration.js';
import type { InputRecord } from '../domain/validateFields.js';
import { invalidOption, type OptionKeys, readOptions } from '../domain/validateOptions.js';
import { describeValue } from '../domain/validationFailure.js';
import type { ArchiveOptions, ArchiveResult, ArchiveStep } from './ArchivingStore.js';

/** How often a store with a `retention` option runs an archive on its own. */
export type RetentionEvery = Readonly<{
  /** After this many entries were appended since the last run. @default 100000 */
  entries?: number;
  /** At the first commit this long (store clock) after the last run. @default 86400000 (a day) */
  ms?: number;
}>;

/**
 * Retention of a store: entries older than `keepFinishedFor` move into sealed archive
 * segments, on open and then every `every`, and settled occurrences whose entries all moved
 * leave the read model (live occurrences and tasks always stay). See docs/storage.md,
 * "Retention and archives".
 */
export type RetentionOptions = Readonly<{
  /**
   * How long entries stay in the live log: milliseconds, or a duration such as `'90d'`,
   * `'12h'` or `'2 weeks'`. Every entry older than that — a prefix of the log — is archived.
   */
  keepFinishedFor: number | string;
  /**
   * Where segments go. SQLite: @default `<path>.archive` beside the log. PostgreSQL: required
   * (there is no log file to put them beside). The memory store takes none.
   */
  archiveDir?: string;
  /** When to run. @default { entries: 100000, ms: 86400000 } */
  every?: RetentionEvery;
  /** Hears every run the cadence started (not those you start with `archive()`). */
  onArchived?: (result: ArchiveResult) => void;
  /**
   * Hears a run the cadence started that failed; the log is unchanged and the next one tries
   * again. @default a process warning
   */
  onError?: (error: unknown) => void;
}>;

/** {@link RetentionOptions} once checked. */
export type ResolvedRetention = Readonly<{
  keepForMs: number;
  archiveDir: string | undefined;
  everyEntries: number;
  everyMs: number;
  onArchived: (result: ArchiveResult) => void;
  onError: (error: unknown) => void;
}>;

const RETENTION_KEYS: OptionKeys<RetentionOptions> = {
  keepFinishedFor: true,
  archiveDir: true,
  every: true,
  onArchived: true,
  onError: true,
};
const EVERY_KEYS: OptionKeys<RetentionEvery> = { entries: true, ms: true };

/** Default cadence: whichever comes first, 100 000 entries or a day. */
export const DEFAULT_RETENTION_EVERY = Object.freeze({ entries: 100_000, ms: 86_400_000 });

function positiveInt(component: string, field: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (
    typeof value === 'number' &&
    (value === Number.POSITIVE_INFINITY || (Number.isSafeInteger(value) && value >= 1))
  ) {
    return value;
  }
  throw invalidOption(
    component,
    field,
    'an integer ≥ 1 or Infinity (never by this measure)',
    value,
  );
}

function directory(component: string, field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.length > 0 && !value.includes('\0')) return value;
  throw invalidOption(component, field, "a directory path such as './archive'", value);
}

function callback<F>(component: string, field: string, value: unknown, fallback: F): F {
  if (value === undefined) return fallback;
  if (typeof value === 'function') return value as F;
  throw invalidOption(component, field, 'a function', value);
}

const warn = (error: unknown): void => {
  process.emitWarning(
    `planflow: an archive run of the retention option failed, the log is unchanged and the next run tries again: ${error instanceof Error ? error.message : String(error)}`,
  );
};

/**
 * Checks a store's `retention` option: a plain object with `keepFinishedFor` (ms or a
 * duration with units), optional `archiveDir`, `every` and callbacks. `undefined` when the
 * store has none.
 * @throws ValidationError (`planflow:invalid-options`) naming the field and how to fix it.
 */
export function resolveRetention(
  component: string,
  record: InputRecord,
): ResolvedRetention | undefined {
  const given = record.retention;
  if (given === undefined) return undefined;
  const options = readOptions(
    component,
    given,
    RETENTION_KEYS,
    "{ keepFinishedFor: '90d' }",
    'options.retention',
  );
  if (options.keepFinishedFor === undefined) {
    throw new ValidationError(
      'planflow:invalid-options',
      'retention.keepFinishedFor',
      `${component}: options.retention needs keepFinishedFor, how long entries stay in the live log (e.g. { keepFinishedFor: '90d' }); drop retention to keep everything`,
    );
  }
  const every = readOptions(
    component,
    options.every,
    EVERY_KEYS,
    '{ entries: 100000, ms: 86400000 }',
    'options.retention.every',
  );
  const everyEntries = positiveInt(
    component,
    'retention.every.entries',
    every.entries,
    DEFAULT_RETENTION_EVERY.entries,
  );
  const everyMs = positiveInt(
    component,
    'retention.every.ms',
    every.ms,
    DEFAULT_RETENTION_EVERY.ms,
  );
  return Object.freeze({
    keepForMs: parseDurationOption(component, 'retention.keepFinishedFor', options.keepFinishedFor),
    archiveDir: directory(component, 'retention.archiveDir', options.archiveDir),
    everyEntries,
    everyMs,
    onArchived: callback(component, 'retention.onArchived', options.onArchived, () => {}),
    onError: callback(component, 'retention.onError', options.onError, warn),
  });
}

/** An archive run's options once checked, with the cutoff as epoch ms. */
export type ResolvedArchiveRun = Readonly<{
  beforeMs: number;
  archiveDir: string | undefined;
  onStep: (step: ArchiveStep) => void;
}>;

const ARCHIVE_KEYS: OptionKeys<ArchiveOptions> = { before: true, archiveDir: true, onStep: true };

function instantMs(component: string, value: unknown): number {
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'number'
        ? value
        : typeof value === 'string' && /^\d{4}-\d\d-\d\d/.test(value.trim())
          ? Date.parse(value)
          : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new ValidationError(
      'planflow:invalid-options',
      'before',
      `${component}: options.before must be an instant — a Date, an ISO-8601 string such as '2026-01-01T00:00:00Z' or epoch milliseconds — got ${describeValue(value)}`,
    );
  }
  return ms;
}

/**
 * Checks `archive()` options: `before` defaults to now minus the store's retention; without
 * one it must be given, and it may not lie in the future.
 */
export function resolveArchiveRun(
  component: string,
  options: ArchiveOptions | undefined,
  defaults: Readonly<{ nowMs: number; retention: ResolvedRetention | undefined }>,
): ResolvedArchiveRun {
  const given = readOptions(
    `${component}.archive`,
    options,
    ARCHIVE_KEYS,
    "{ before: '2026-01-01T00:00:00Z' }",
  );
  const { nowMs, retention } = defaults;
  let beforeMs: number;
  if (given.before !== undefined) beforeMs = instantMs(component, given.before);
  else if (retention !== undefined) beforeMs = nowMs - retention.keepForMs;
  else {
    throw new ValidationError(
      'planflow:invalid-options',
      'before',
      `${component}: archive() needs options.before, the instant older entries are archived before (e.g. { before: new Date(Date.now() - 90 * 86_400_000) }), or a retention option on the store`,
    );
  }
  if (beforeMs > nowMs) {
    throw new ValidationError(
      'planflow:invalid-options',
      'before',
      `${component}: options.before (${new Date(beforeMs).toISOString()}) lies in the future; entries are archived once they are older than it — give an instant up to now`,
    );
  }
  return Object.freeze({
    beforeMs,
    archiveDir:
      directory(component, 'archiveDir', given.archiveDir) ?? retention?.archiveDir ?? undefined,
    onStep: callback(component, 'onStep', given.onStep, () => {}),
  });
}
