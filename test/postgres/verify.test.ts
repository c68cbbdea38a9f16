import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CorruptLogError, DependencyError, isPlanflowError } from '../../src/domain/errors.js';
import { type NewEvent, type StoredEvent, streams } from '../../src/log/events.js';
import { type PostgresStore, postgresStore } from '../../src/postgres/index.js';
import { loadPgDriver } from '../../src/postgres/loadPg.js';
import { PG_URL, requirePostgres, sql, useTempSchemas } from '../helpers/pgSchemas.js';
import { ed25519Pair, recomputeChain } from '../helpers/signingKeys.js';

beforeAll(requirePostgres);
const newSchema = useTempSchemas();

const started = (instanceId: string): NewEvent => ({
  type: 'scheduler.started',
  stream: streams.scheduler,
  data: { instanceId },
});

async function readAll(store: PostgresStore): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for await (const batch of store.read()) all.push(...batch);
  return all;
}

async function logOf(count: number, options: Record<string, unknown> = {}) {
  const schema = newSchema();
  const store = await postgresStore({ connectionString: PG_URL, schema, ...options });
  for (let i = 0; i < count; i++) await store.append([started(`s${i}`)]);
  return { schema, store };
}

describe('postgresStore verification', () => {
  it('verifies what it wrote, from the mark or in full', async () => {
    const { store } = await logOf(5);
    expect(await store.verify()).toMatchObject({ ok: true, entries: 5 });
    expect(await store.verify({ full: true })).toMatchObject({ ok: true, entries: 5 });
    await store.close();
  });

  it('finds an entry changed in the table, and refuses to open when the mark entry changed', async () => {
    const { schema, store } = await logOf(4);
    await sql(`UPDATE "${schema}".entries SET data = $1 WHERE seq = 2`, ['{"instanceId":"evil"}']);
    expect(await store.verify({ full: true })).toMatchObject({
      ok: false,
      problem: 'chain',
      firstBadSeq: 2,
    });
    // The entry the verified mark names loses its hash: opening refuses the log.
    await sql(`UPDATE "${schema}".entries SET hash = repeat('0', 64) WHERE seq = 4`);
    await store.close();
    const error = await postgresStore({ connectionString: PG_URL, schema }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CorruptLogError);
    expect((error as Error).message).toContain('entry #4 no longer has the hash it had');
    const full = await postgresStore({
      connectionString: PG_URL,
      schema,
      verifyOnOpen: 'full',
    }).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(CorruptLogError);
    expect((full as CorruptLogError).position).toBe(2);
  });

  it('with a signing key, detects a recomputed chain and a cut tail', async () => {
    const keys = ed25519Pair();
    const { schema, store } = await logOf(6, {
      signingKey: keys.privateKey,
      checkpointEvery: { entries: 3 },
    });
    expect(await store.verify({ publicKey: keys.publicKey })).toMatchObject({
      ok: true,
      signedUpTo: 6,
    });
    const entries = await readAll(store);
    await store.close();
    expect((await store.checkpoints().catch((e: unknown) => e)) as Error).toMatchObject({
      code: 'planflow:store-closed',
    });
    // Rewrite entry 2 and recompute the chain after it, as the script did.
    for (const forged of recomputeChain(entries, 2, { instanceId: 'forged' })) {
      await sql(
        `UPDATE "${schema}".entries SET data = $1, prev_hash = $2, hash = $3 WHERE seq = $4`,
        [JSON.stringify(forged.data), forged.prevHash, forged.hash, forged.seq],
      );
    }
    await sql(`DELETE FROM "${schema}".log_state WHERE key = 'verified'`);
    const reopened = await postgresStore({ connectionString: PG_URL, schema, verifyOnOpen: false });
    expect(await reopened.verify({ publicKey: keys.publicKey, full: true })).toMatchObject({
      ok: false,
      problem: 'forged',
    });
    await reopened.close();
  });

  it('with checkpoints, detects a tail cut back past the last one', async () => {
    const keys = ed25519Pair();
    const { schema, store } = await logOf(6, {
      signingKey: keys.privateKey,
      checkpointEvery: { entries: 3 },
    });
    await store.close();
    await sql(`DELETE FROM "${schema}".entries WHERE seq >= 5`);
    const reopened = await postgresStore({ connectionString: PG_URL, schema, verifyOnOpen: false });
    expect(await reopened.verify({ full: true })).toMatchObject({
      ok: false,
      problem: 'truncated',
    });
    await reopened.close();
    const error = await postgresStore({ connectionString: PG_URL, schema }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CorruptLogError);
  });

  it('checks an anchored head', async () => {
    const { store } = await logOf(3);
    const head = await store.head();
    expect(await store.verify({ expectHead: `${head.seq}:${head.hash}` })).toMatchObject({
      ok: true,
    });
    expect(await store.verify({ expectHead: { seq: 2, hash: head.hash } })).toMatchObject({
      ok: false,
      problem: 'expected-head',
    });
    await store.close();
  });
});

describe('postgresStore opened readOnly', () => {
  it('reads an existing log and refuses appends', async () => {
    const { schema, store } = await logOf(2);
    await store.close();
    const reader = await postgresStore({ connectionString: PG_URL, schema, readOnly: true });
    expect((await reader.head()).seq).toBe(2);
    const error = await reader.append([started('x')]).catch((e: unknown) => e);
    expect(isPlanflowError(error, 'planflow:storage-read-only')).toBe(true);
    await reader.close();
  });

  it('refuses a schema without a log, creating nothing', async () => {
    const schema = newSchema();
    const error = await postgresStore({ connectionString: PG_URL, schema, readOnly: true }).catch(
      (e: unknown) => e,
    );
    expect(isPlanflowError(error, 'planflow:storage-unavailable')).toBe(true);
    expect(await sql('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).toEqual([]);
  });

  it('refuses a schema that holds other tables', async () => {
    const schema = newSchema();
    await sql(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".invoices (id int)`);
    const error = await postgresStore({ connectionString: PG_URL, schema }).catch(
      (e: unknown) => e,
    );
    expect(isPlanflowError(error, 'planflow:not-a-log')).toBe(true);
  });
});

describe('postgresStore input PostgreSQL cannot store', () => {
  it('refuses a NUL character or a lone surrogate in a stream, storing nothing', async () => {
    const { store } = await logOf(0);
    for (const stream of ['a\0b', 'x\uD800']) {
      const error = await store
        .append([{ ...started('a'), stream } as NewEvent])
        .catch((e: unknown) => e);
      expect(isPlanflowError(error, 'planflow:invalid-input')).toBe(true);
    }
    expect((await store.head()).seq).toBe(0);
    await store.close();
  });

  it('refuses two different schemas named in the options and the URL', async () => {
    const error = await postgresStore({
      connectionString: `${PG_URL}?schema=one`,
      schema: 'two',
    }).catch((e: unknown) => e);
    expect(isPlanflowError(error, 'planflow:invalid-options')).toBe(true);
  });
});

describe('loadPgDriver', () => {
  it('throws a DependencyError naming the install command when pg is not installed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'planflow-pg-driver-'));
    try {
      let caught: unknown;
      try {
        loadPgDriver('pg-not-installed', pathToFileURL(join(dir, 'app.js')));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(DependencyError);
      expect((caught as Error).message).toContain('npm install pg@8');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
