import { ValidationError } from '../domain/errors.js';
import { invalidOption, type OptionKeys, readOptions } from '../domain/validateOptions.js';
import {
  type ResolvedSigning,
  resolveSigningOptions,
  type SigningOptions,
} from '../log/checkpointOptions.js';
import type { StoreClock } from '../log/EventStore.js';
import {
  type ResolvedRetention,
  type RetentionOptions,
  resolveRetention,
} from '../log/retentionOptions.js';
import { resolveStoreClock } from '../log/storeOptions.js';

/** How much of a file `sqliteStore` checks on open (see `SqliteStoreOptions.verifyOnOpen`). */
export type VerifyOnOpen = 'new' | 'full';

/** `sqliteStore` options as checked here (the store's own type names the same fields). */
export type SqliteStoreOptionsInput = Readonly<{
  path: string;
  synchronous?: 'NORMAL' | 'FULL';
  clock?: StoreClock;
  verifyOnOpen?: VerifyOnOpen | boolean;
  readOnly?: boolean;
  retention?: RetentionOptions;
}> &
  SigningOptions;

const SQLITE_KEYS: OptionKeys<SqliteStoreOptionsInput> = {
  path: true,
  synchronous: true,
  clock: true,
  verifyOnOpen: true,
  readOnly: true,
  retention: true,
  signingKey: true,
  checkpointEvery: true,
};

/** Longest accepted database path; far beyond any real file system's limit. */
const MAX_PATH_LENGTH = 4096;

/**
 * Checks `sqliteStore` options and fills defaults (`synchronous` `'FULL'`, `verifyOnOpen`
 * `'new'`, `readOnly` false, no retention): a plain object, known keys only, a non-empty
 * `path` without NUL characters.
 * @throws ValidationError (`planflow:invalid-options`) naming the option.
 */
export function resolveSqliteStoreOptions(options: unknown): Readonly<{
  path: string;
  synchronous: 'NORMAL' | 'FULL';
  verifyOnOpen: VerifyOnOpen | false;
  readOnly: boolean;
  clock: StoreClock;
  signing: ResolvedSigning | undefined;
  retention: ResolvedRetention | undefined;
}> {
  const component = 'sqliteStore';
  if (options === undefined) {
    throw invalidOption(component, '', "an object such as { path: 'planflow.db' }", options);
  }
  const record = readOptions(component, options, SQLITE_KEYS, "{ path: 'planflow.db' }");
  const {
    path,
    synchronous = 'FULL',
    verifyOnOpen: verifyGiven = 'new',
    readOnly = false,
  } = record;
  if (
    typeof path !== 'string' ||
    path.length === 0 ||
    path.length > MAX_PATH_LENGTH ||
    path.includes('\0')
  ) {
    throw invalidOption(component, 'path', "a non-empty file path such as 'planflow.db'", path);
  }
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') {
    throw invalidOption(component, 'synchronous', "'NORMAL' or 'FULL'", synchronous);
  }
  if (verifyGiven !== 'new' && verifyGiven !== 'full' && typeof verifyGiven !== 'boolean') {
    throw invalidOption(
      component,
      'verifyOnOpen',
      "'new', 'full', true (= 'full') or false",
      verifyGiven,
    );
  }
  const verifyOnOpen = verifyGiven === true ? 'full' : verifyGiven;
  if (typeof readOnly !== 'boolean') {
    throw invalidOption(component, 'readOnly', 'true or false', readOnly);
  }
  const clock = resolveStoreClock(component, record.clock as StoreClock | undefined);
  const signing = resolveSigningOptions(component, record);
  if (signing !== undefined && readOnly) {
    throw new ValidationError(
      'planflow:invalid-options',
      'signingKey',
      `${component}: options.signingKey and readOnly: true exclude each other: a read-only store never signs; to check the log's checkpoints pass the public key to verify({ publicKey }) instead`,
    );
  }
  const retention = resolveRetention(component, record);
  if (retention !== undefined && readOnly) {
    throw new ValidationError(
      'planflow:invalid-options',
      'retention',
      `${component}: options.retention and readOnly: true exclude each other: a read-only store never archives; open it without readOnly to archive, or drop retention`,
    );
  }
  return Object.freeze({ path, synchronous, verifyOnOpen, readOnly, clock, signing, retention });
}
