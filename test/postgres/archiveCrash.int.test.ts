import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { StoredEvent } from '../../src/log/events.js';
import { verifyArchive } from '../../src/log/verifyArchive.js';
import { postgresStore } from '../../src/postgres/index.js';
import {
  ARCHIVE_CRASH,
  archivedAndLive,
  describeArchiveKills,
  expectNothingLost,
  writeCrashLog,
} from '../helpers/archiveCrash.js';
import { spawnLineChild } from '../helpers/lineChild.js';
import { dropSchema, newSchemaName, PG_URL, requirePostgres, sql } from '../helpers/pgSchemas.js';

const CHILD = join(import.meta.dirname, '..', 'fixtures', 'pgArchiveChild.ts');
const { T0, NOW, BEFORE } = ARCHIVE_CRASH;
const ENTRIES = 10_000;
/** Occurrences per append while the pristine log is built. */
const PER_APPEND = 20;

const dir = mkdtempSync(join(tmpdir(), 'planflow-pg-archive-crash-'));
const pristine = newSchemaName();
const schemas: string[] = [pristine];
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const schema of schemas) await dropSchema(schema);
});

/** 10 000 entries over ten days, twenty occurrences an append. */
beforeAll(async () => {
  await requirePostgres();
  let now = T0;
  const store = await postgresStore({
    connectionString: PG_URL,
    schema: pristine,
    clock: { now: () => now },
  });
  await writeCrashLog(store, (ms) => (now = ms), ENTRIES, PER_APPEND);
  await store.close();
}, 120_000);

/** A new schema holding a copy of the pristine log (tables made by opening a store there). */
async function copyOfPristine(): Promise<string> {
  const schema = newSchemaName();
  schemas.push(schema);
  await (await postgresStore({ connectionString: PG_URL, schema })).close();
  const [to, from] = [`"${schema}"`, `"${pristine}"`];
  await sql(`INSERT INTO ${to}.entries SELECT * FROM ${from}.entries`);
  await sql(`INSERT INTO ${to}.occurrences SELECT * FROM ${from}.occurrences`);
  await sql(`INSERT INTO ${to}.tasks OVERRIDING SYSTEM VALUE SELECT * FROM ${from}.tasks`);
  await sql(`INSERT INTO ${to}.log_state SELECT * FROM ${from}.log_state`);
  return schema;
}

/**
 * Waits until the server has ended the killed child's backends (it notices the closed
 * socket and rolls back), so their locks are gone before the checks.
 */
async function childGone(schema: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const rows = await sql('SELECT 1 FROM pg_stat_activity WHERE application_name = $1', [
      `planflow:${schema}`,
    ]);
    if (rows.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the killed child's connections to ${schema} did not end`);
}

async function allEntries(schema: string, archiveDir: string): Promise<StoredEvent[]> {
  const store = await postgresStore({ connectionString: PG_URL, schema, readOnly: true });
  try {
    return await archivedAndLive(store, (s) => join(archiveDir, s.file));
  } finally {
    await store.close();
  }
}

/** What a reader must find after the kill, wherever it landed: nothing lost, all sound. */
async function checkAfterKill(
  schema: string,
  archiveDir: string,
  original: readonly StoredEvent[],
): Promise<number> {
  await childGone(schema);
  const clock = { now: () => NOW };
  // A writing open with the full check must accept the log.
  const store = await postgresStore({
    connectionString: PG_URL,
    schema,
    verifyOnOpen: 'full',
    clock,
  });
  const fileOf = (segment: Readonly<{ file: string }>) => join(archiveDir, segment.file);
  const recorded = await expectNothingLost(store, fileOf, original);
  await store.close();
  // The next run completes what the killed one did not, and clears what it left behind.
  const again = await postgresStore({ connectionString: PG_URL, schema, clock });
  const result = await again.archive({ before: BEFORE, archiveDir });
  const segments = await again.segments();
  expect(await verifyArchive(segments.map(fileOf), again)).toMatchObject({ ok: true });
  expect(readdirSync(archiveDir).sort()).toEqual(segments.map((s) => s.file).sort());
  expect(recorded > 0 || result.segment !== undefined).toBe(true);
  await again.close();
  return recorded;
}

describeArchiveKills('a PostgreSQL archive run under SIGKILL', {
  original: async () => {
    const entries = await allEntries(pristine, dir);
    expect(entries.length).toBeGreaterThanOrEqual(ENTRIES);
    return entries;
  },
  copy: async () => {
    const schema = await copyOfPristine();
    return { schema, archiveDir: join(dir, schema) };
  },
  start: ({ schema, archiveDir }, phase, onLine) =>
    spawnLineChild(CHILD, [PG_URL, schema, phase, String(NOW), archiveDir], onLine),
  check: ({ schema, archiveDir }, original) => checkAfterKill(schema, archiveDir, original),
});
