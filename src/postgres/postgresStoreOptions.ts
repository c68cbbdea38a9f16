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

/** How much of the log `postgresStore` checks on open (see its `verifyOnOpen`). */
export type PgVerifyOnOpen = 'new' | 'full';

/** Options of `postgresStore`; `signingKey` and `checkpointEvery` are the `SigningOptions`. */
export type PostgresStoreOptions = Readonly<{
  /**
   * Where the database is: `postgres://user:password@host:port/database` (or `postgresql://`),
   * as node-postgres reads it. A `schema` query parameter (`?schema=billing`) names the schema
   * as the `schema` option does; give one or the other, or the same in both.
   */
  connectionString: string;
  /**
   * The schema the log lives in, created and migrated by the store (unless `readOnly`):
   * lowercase letters, digits and `_`, starting with a letter or `_`, at most 48 characters.
   * Several stores (processes) on one schema share one log. @default 'planflow'
   */
  schema?: string;
  /** Connections the store keeps open for appends and queries (one more listens). @default 4 */
  maxConnections?: number;
  /** Time source for `time` stamps. @default Date.now */
  clock?: StoreClock;
  /**
   * What to check before accepting the log: `'new'` walks the hash chain after the verified
   * mark (what no PlanFlow store verified or wrote onto a verified chain before), `'full'`
   * (or `true`) the whole chain, `false` nothing. @default 'new'
   */
  verifyOnOpen?: PgVerifyOnOpen | boolean;
  /**
   * Open for reading only, for tools that never write: the schema must already hold a
   * PlanFlow log of this version; nothing is created, migrated or written, and `append`
   * rejects with `planflow:storage-read-only`. @default false
   */
  readOnly?: boolean;
  /**
   * Archive entries older than `keepFinishedFor` into sealed segment files in
   * `retention.archiveDir` (required: a PostgreSQL log has no file to put them beside), on
   * open and then on a cadence; settled occurrences whose entries all moved leave the read
   * model. In a fleet each instance may have it: one run at a time per schema, the others'
   * runs are skipped meanwhile. Not with `readOnly`. See docs/storage.md, "Retention and
   * archives". @default undefined (keep everything in the live log)
   */
  retention?: RetentionOptions;
}> &
  SigningOptions;

/** {@link PostgresStoreOptions} once checked. */
export type ResolvedPostgresStoreOptions = Readonly<{
  connectionString: string;
  schema: string;
  /** The log as messages name it: schema and server, never the password. */
  where: string;
  maxConnections: number;
  clock: StoreClock;
  verifyOnOpen: PgVerifyOnOpen | false;
  readOnly: boolean;
  signing: ResolvedSigning | undefined;
  retention: ResolvedRetention | undefined;
}>;

const KEYS: OptionKeys<PostgresStoreOptions> = {
  connectionString: true,
  schema: true,
  maxConnections: true,
  clock: true,
  verifyOnOpen: true,
  readOnly: true,
  signingKey: true,
  checkpointEvery: true,
  retention: true,
};

const COMPONENT = 'postgresStore';
export const DEFAULT_SCHEMA = 'planflow';
/** Short enough that `planflow:<schema>` stays a whole NOTIFY channel name (63 bytes). */
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,47}$/;

/** True for a connection string this store (and the CLI's `--db`) takes. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/**
 * Splits a connection string into what node-postgres gets (without `schema`) and the schema
 * it names, and describes the server without credentials.
 */
export function parsePostgresUrl(
  component: string,
  connectionString: string,
): Readonly<{ connectionString: string; schema: string | undefined; server: string }> {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    throw invalidOption(
      component,
      'connectionString',
      "a URL such as 'postgres://user@127.0.0.1:5432/app'",
      '(not a URL)',
    );
  }
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || '(default database)';
  const server = `${url.hostname || 'localhost'}:${url.port || '5432'}/${database}`;
  return { connectionString: url.toString(), schema, server };
}

/**
 * Checks `postgresStore` options and fills defaults (`schema` 'planflow', `maxConnections`
 * 4, `verifyOnOpen` 'new', `readOnly` false).
 * @throws ValidationError (`planflow:invalid-options`) naming the option.
 */
export function resolvePostgresStoreOptions(options: unknown): ResolvedPostgresStoreOptions {
  if (options === undefined) {
    throw invalidOption(
      COMPONENT,
      '',
      "an object such as { connectionString: 'postgres://user@127.0.0.1:5432/app' }",
      options,
    );
  }
  const record = readOptions(
    COMPONENT,
    options,
    KEYS,
    "{ connectionString: 'postgres://user@127.0.0.1:5432/app' }",
  );
  const given = record.connectionString;
  if (typeof given !== 'string' || !isPostgresUrl(given)) {
    throw invalidOption(
      COMPONENT,
      'connectionString',
      "a postgres:// or postgresql:// URL such as 'postgres://user@127.0.0.1:5432/app'",
      typeof given === 'string' ? given.replace(/\/\/[^@/]*@/, '//…@') : given,
    );
  }
  const parsed = parsePostgresUrl(COMPONENT, given);
  const optionSchema = record.schema;
  if (
    optionSchema !== undefined &&
    (typeof optionSchema !== 'string' || !SCHEMA_PATTERN.test(optionSchema))
  ) {
    throw invalidOption(
      COMPONENT,
      'schema',
      "a schema name of lowercase letters, digits and _ (starting with a letter or _, at most 48 characters) such as 'planflow'",
      optionSchema,
    );
  }
  if (parsed.schema !== undefined && !SCHEMA_PATTERN.test(parsed.schema)) {
    throw invalidOption(
      COMPONENT,
      'connectionString',
      "a ?schema= of lowercase letters, digits and _ (starting with a letter or _, at most 48 characters) such as 'planflow'",
      parsed.schema,
    );
  }
  if (optionSchema !== undefined && parsed.schema !== undefined && optionSchema !== parsed.schema) {
    throw new ValidationError(
      'planflow:invalid-options',
      'schema',
      `${COMPONENT}: options.schema "${optionSchema}" and the connection string's ?schema=${parsed.schema} name different schemas; give one of them`,
    );
  }
  const schema = (optionSchema as string | undefined) ?? parsed.schema ?? DEFAULT_SCHEMA;
  const { maxConnections = 4, verifyOnOpen: verifyGiven = 'new', readOnly = false } = record;
  if (
    typeof maxConnections !== 'number' ||
    !Number.isSafeInteger(maxConnections) ||
    maxConnections < 1 ||
    maxConnections > 100
  ) {
    throw invalidOption(COMPONENT, 'maxConnections', 'an integer from 1 to 100', maxConnections);
  }
  if (verifyGiven !== 'new' && verifyGiven !== 'full' && typeof verifyGiven !== 'boolean') {
    throw invalidOption(
      COMPONENT,
      'verifyOnOpen',
      "'new', 'full', true (= 'full') or false",
      verifyGiven,
    );
  }
  if (typeof readOnly !== 'boolean') {
    throw invalidOption(COMPONENT, 'readOnly', 'true or false', readOnly);
  }
  const signing = resolveSigningOptions(COMPONENT, record);
  if (signing !== undefined && readOnly) {
    throw new ValidationError(
      'planflow:invalid-options',
      'signingKey',
      `${COMPONENT}: options.signingKey and readOnly: true exclude each other: a read-only store never signs; to check the log's checkpoints pass the public key to verify({ publicKey }) instead`,
    );
  }
  const retention = resolveRetention(COMPONENT, record);
  if (retention !== undefined && readOnly) {
    throw new ValidationError(
      'planflow:invalid-options',
      'retention',
      `${COMPONENT}: options.retention and readOnly: true exclude each other: a read-only store never archives; open it without readOnly to archive, or drop retention`,
    );
  }
  if (retention !== undefined && retention.archiveDir === undefined) {
    throw new ValidationError(
      'planflow:invalid-options',
      'retention.archiveDir',
      `${COMPONENT}: options.retention needs archiveDir, the directory the segment files go to (a PostgreSQL log has no file to put them beside), e.g. { keepFinishedFor: '90d', archiveDir: './archive' }`,
    );
  }
  return Object.freeze({
    connectionString: parsed.connectionString,
    schema,
    where: `schema "${schema}" at ${parsed.server}`,
    maxConnections,
    clock: resolveStoreClock(COMPONENT, record.clock as StoreClock | undefined),
    verifyOnOpen: verifyGiven === true ? 'full' : verifyGiven,
    readOnly,
    signing,
    retention,
  });
}
