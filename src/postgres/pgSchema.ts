import type Pg from 'pg';
import { StorageError } from '../domain/errors.js';
import { GENESIS_HASH } from '../log/hashChain.js';

/** One step of the PostgreSQL log schema: applied once, in order, recorded in `migrations`. */
export type PgMigration = Readonly<{
  version: number;
  description: string;
  /** The statements, with `%s` standing for the quoted schema name. */
  sql: string;
}>;

/**
 * The PostgreSQL log schema, step by step. Text columns that are compared or sorted use the
 * "C" collation, so ISO times and stream names order by their bytes whatever the database's
 * locale (under a natural-language collation punctuation can be ignored).
 *
 * The instances' leases (step 2) live beside the log, never in its hash chain: a lease says
 * who runs now, not what happened. The archive segments (step 3) are recorded both in their
 * table and, in the chain, by each run's `log.archived` entry.
 */
export const pgMigrations: readonly PgMigration[] = Object.freeze([
  {
    version: 1,
    description:
      'entries (the hash chain, one trigger per stream), read model tables, signed checkpoints',
    sql: `
      CREATE TABLE %s.entries (
        seq bigint PRIMARY KEY CHECK (seq > 0),
        id text COLLATE "C" NOT NULL,
        type text COLLATE "C" NOT NULL,
        time text COLLATE "C" NOT NULL,
        stream text COLLATE "C" NOT NULL,
        data text NOT NULL,
        schema_version integer NOT NULL,
        prev_hash text COLLATE "C" NOT NULL,
        hash text COLLATE "C" NOT NULL,
        task_id text COLLATE "C"
      );
      CREATE UNIQUE INDEX entries_one_trigger_per_stream ON %s.entries (stream)
        WHERE type = 'occurrence.triggered';
      CREATE INDEX entries_by_task ON %s.entries (task_id, seq) WHERE task_id IS NOT NULL;
      CREATE TABLE %s.occurrences (
        first_seq bigint PRIMARY KEY,
        id text COLLATE "C" NOT NULL UNIQUE,
        task_id text COLLATE "C" NOT NULL,
        state text COLLATE "C" NOT NULL,
        live boolean NOT NULL,
        holds_place boolean NOT NULL,
        scheduled_ms bigint NOT NULL,
        occurrence text NOT NULL,
        execution text,
        first_at text COLLATE "C",
        retries_left integer,
        outcome text COLLATE "C"
      );
      CREATE INDEX occurrences_by_task ON %s.occurrences (task_id, first_seq);
      CREATE INDEX occurrences_live ON %s.occurrences (first_seq) WHERE live;
      CREATE INDEX occurrences_places ON %s.occurrences (scheduled_ms) WHERE holds_place AND NOT live;
      CREATE TABLE %s.tasks (
        id text COLLATE "C" PRIMARY KEY,
        pos bigint GENERATED ALWAYS AS IDENTITY,
        task text NOT NULL
      );
      CREATE TABLE %s.log_state (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
      CREATE TABLE %s.checkpoints (
        seq bigint NOT NULL,
        key_id text COLLATE "C" NOT NULL,
        hash text NOT NULL,
        time text NOT NULL,
        signature text NOT NULL,
        PRIMARY KEY (seq, key_id)
      );`,
  },
  {
    version: 2,
    description:
      'instance_leases: each running scheduler instance heartbeat, outside the hash chain (see docs/scaling.md)',
    sql: `
      CREATE TABLE %s.instance_leases (
        instance_id text COLLATE "C" PRIMARY KEY,
        pid integer NOT NULL,
        host text NOT NULL,
        started_ms bigint NOT NULL,
        renewed_ms bigint NOT NULL,
        expires_ms bigint NOT NULL,
        paused boolean NOT NULL DEFAULT false
      );`,
  },
  {
    version: 3,
    description:
      'segments: archive segments the live log starts after (see docs/storage.md, "Retention and archives")',
    sql: `
      CREATE TABLE %s.segments (
        last_seq bigint PRIMARY KEY,
        first_seq bigint NOT NULL,
        count bigint NOT NULL,
        first_prev_hash text COLLATE "C" NOT NULL,
        last_hash text COLLATE "C" NOT NULL,
        sha256 text COLLATE "C" NOT NULL,
        file text NOT NULL,
        dir text NOT NULL,
        bytes bigint NOT NULL,
        fact_seq bigint NOT NULL,
        archived_at text COLLATE "C" NOT NULL
      );`,
  },
]);

/** The schema version this PlanFlow writes and reads. */
export const PG_SCHEMA_VERSION = pgMigrations[pgMigrations.length - 1]!.version;

/** A schema name as SQL text: validated by the options, quoted all the same. */
export const quoted = (schema: string): string => `"${schema}"`;

/**
 * The advisory lock key pair of a schema's log (the two-int form, so it cannot collide with
 * an application's one-bigint advisory locks): the first number is PlanFlow's, the second the
 * schema's name hashed by the server.
 */
export const lockKey = (schema: string): string => `1347831366, hashtext('${schema}')`;

/**
 * The key pair of a schema's archive lock: one archive run at a time per schema, whichever
 * instance starts it. A session lock held for the whole run (sealing takes seconds to
 * minutes), on a key of its own so that appends, which take {@link lockKey} per
 * transaction, go on meanwhile.
 */
export const archiveLockKey = (schema: string): string => `1347831367, hashtext('${schema}')`;

/** The LISTEN/NOTIFY channel on which a schema's writers announce each new head. */
export const channelOf = (schema: string): string => `planflow:${schema}`;

type Where = Readonly<{ component: string; where: string }>;

/**
 * Creates the schema and applies every missing migration, under a transaction-scoped
 * advisory lock so two processes opening a new schema at once do not race; or, when
 * `readOnly`, only checks that the schema holds a log of this version. A schema with tables
 * but no `migrations` table (someone else's) and a log of a newer version are refused.
 */
export async function preparePgSchema(
  client: Pg.PoolClient,
  schema: string,
  readOnly: boolean,
  site: Where,
): Promise<void> {
  const q = quoted(schema);
  const version = async (): Promise<number | 'foreign' | 'missing'> => {
    const { rows } = await client.query<{ tables: string[] | null }>(
      `SELECT array_agg(table_name::text) AS tables FROM information_schema.tables WHERE table_schema = $1`,
      [schema],
    );
    const tables = rows[0]?.tables ?? [];
    const { rows: exists } = await client.query(
      'SELECT 1 FROM information_schema.schemata WHERE schema_name = $1',
      [schema],
    );
    if (exists.length === 0) return 'missing';
    if (tables.length === 0) return 0;
    if (!tables.includes('migrations')) return 'foreign';
    const { rows: applied } = await client.query<{ v: number | null }>(
      `SELECT max(version) AS v FROM ${q}.migrations`,
    );
    return applied[0]?.v ?? 0;
  };
  const refuse = (why: string) =>
    new StorageError('planflow:not-a-log', `${site.component}: ${site.where} ${why}`, {
      path: site.where,
    });
  if (readOnly) {
    const found = await version();
    if (found === PG_SCHEMA_VERSION) return;
    if (found === 'missing' || found === 0) {
      throw new StorageError(
        'planflow:storage-unavailable',
        `${site.component}: there is no PlanFlow log in ${site.where}; create it by opening the store without readOnly (planflow init --db <url>), or check the schema name`,
        { path: site.where },
      );
    }
    if (found === 'foreign')
      throw refuse('holds tables that are not a PlanFlow log; choose another schema');
    throw refuse(
      found > PG_SCHEMA_VERSION
        ? `was written by a newer PlanFlow (schema version ${found}, this one knows up to ${PG_SCHEMA_VERSION}); upgrade planflow`
        : `is at schema version ${found}; open it once without readOnly to migrate it to ${PG_SCHEMA_VERSION}`,
    );
  }
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(${lockKey(schema)})`);
    const found = await version();
    if (found === 'foreign')
      throw refuse('holds tables that are not a PlanFlow log; choose another schema');
    if (typeof found === 'number' && found > PG_SCHEMA_VERSION) {
      throw refuse(
        `was written by a newer PlanFlow (schema version ${found}, this one knows up to ${PG_SCHEMA_VERSION}); upgrade planflow`,
      );
    }
    if (found === 'missing') await client.query(`CREATE SCHEMA ${q}`);
    const from = typeof found === 'number' ? found : 0;
    if (from === 0) {
      await client.query(
        `CREATE TABLE ${q}.migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
    }
    for (const migration of pgMigrations) {
      if (migration.version <= from) continue;
      await client.query(migration.sql.replaceAll('%s', q));
      await client.query(`INSERT INTO ${q}.migrations (version, description) VALUES ($1, $2)`, [
        migration.version,
        migration.description,
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The head of an empty log. */
export const EMPTY_HEAD = Object.freeze({ seq: 0, hash: GENESIS_HASH });
