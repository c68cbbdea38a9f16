import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach } from 'vitest';

/**
 * The PostgreSQL the tests use: `PLANFLOW_TEST_PG_URL`, else the local server `.ci/run`
 * starts (trust auth, database `test`).
 */
export const PG_URL = process.env.PLANFLOW_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh schema name no other test uses. */
export const newSchemaName = (): string => `pf_test_${randomBytes(6).toString('hex')}`;

let reachable: Promise<void> | undefined;

/**
 * Fails (never skips) when the test server cannot be reached, saying so: the PostgreSQL
 * tests are part of the suite, and a silently skipped store is an untested one.
 */
export function requirePostgres(): Promise<void> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
    } catch (error) {
      throw new Error(
        `PostgreSQL is not reachable at ${PG_URL.replace(/\/\/[^@/]*@/, '//')} (${(error as Error).message}): the PostgreSQL store tests need it. Start it (.ci/run starts an installed one that is down) or point PLANFLOW_TEST_PG_URL at a server`,
      );
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

/** Drops `schema` and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** Runs one statement on the test server from a connection of its own (a "tamperer"). */
export async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Schema names for this file's tests: each call gives a new one, and every schema handed out
 * is dropped after the test.
 */
export function useTempSchemas(): () => string {
  const made: string[] = [];
  afterEach(async () => {
    for (const schema of made.splice(0)) await dropSchema(schema);
  });
  return () => {
    const schema = newSchemaName();
    made.push(schema);
    return schema;
  };
}
