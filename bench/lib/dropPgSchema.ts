import pg from 'pg';
import { PG_URL } from '../subjects/durableSettings.js';

/** Drops a PostgreSQL-backed subject's schema and everything in it, on a connection of its own. */
export async function dropPgSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
