import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import { parseTask } from '../../src/domain/validateTask.js';
import type { ArchiveStep } from '../../src/log/ArchivingStore.js';
import { type NewEvent, type StoredEvent, streams } from '../../src/log/events.js';
import { readArchive } from '../../src/log/readArchive.js';
import { verifyArchive } from '../../src/log/verifyArchive.js';
import { postgresStore } from '../../src/postgres/index.js';
import { liveEntries, rebuiltOverArchive, viewOf } from '../helpers/archiveFixtures.js';
import { type LineChild, spawnLineChild } from '../helpers/lineChild.js';
import { dropSchema, newSchemaName, PG_URL, requirePostgres, sql } from '../helpers/pgSchemas.js';
import { inlineView } from '../helpers/projectionViews.js';

const CHILD = join(import.meta.dirname, '..', 'fixtures', 'pgArchiveChild.ts');
const DAY = 86_400_000;
const T0 = Date.parse('2026-03-02T08:00:00.000Z');
/** The child's clock: ten days after the log began, so seven days of it are archived. */
const NOW = T0 + 10 * DAY;
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

/** 10 000 entries over ten days: ten tasks, occurrences scheduled, triggered and completed. */
beforeAll(async () => {
  await requirePostgres();
  let now = T0;
  const store = await postgresStore({
    connectionString: PG_URL,
    schema: pristine,
    clock: { now: () => now },
  });
  const tasks: NewEvent[] = [];
  for (let t = 0; t < 10; t++) {
    const task = parseTask({ id: `task-${t}`, title: `Task ${t}` }, undefined, new Date(T0));
    tasks.push({ type: 'task.defined', stream: streams.task(task.id), data: { task } });
  }
  await store.append(tasks);
  for (let k = 0; (await store.head()).seq < ENTRIES; k += PER_APPEND) {
    now = T0 + Math.floor((k * 10 * DAY) / (ENTRIES / 3));
    const events: NewEvent[] = [];
    for (let i = k; i < k + PER_APPEND; i++) {
      const occurrence = makeOccurrence({
        taskId: `task-${i % 10}`,
        cause: 'initial',
        scheduledFor: new Date(now + i),
      });
      const stream = streams.occurrence(occurrence.id);
      const occurrenceId = occurrence.id;
      events.push(
        { type: 'occurrence.scheduled', stream, data: { occurrence } },
        {
          type: 'occurrence.triggered',
          stream,
          data: { occurrenceId, attempt: 0, idempotencyKey: `pf:${occurrenceId}`, lateByMs: 0 },
        },
        { type: 'occurrence.completed', stream, data: { occurrenceId, durationMs: 3 } },
      );
    }
    await store.append(events);
  }
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

/** Starts the child on `schema`; `kill` decides, from each line it prints, when to SIGKILL it. */
function start(
  schema: string,
  archiveDir: string,
  phase: ArchiveStep | 'none',
  kill: (line: string) => boolean,
): LineChild {
  return spawnLineChild(CHILD, [PG_URL, schema, phase, String(NOW), archiveDir], (line, child) => {
    if (kill(line)) child.kill('SIGKILL');
  });
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
    const files = (await store.segments()).map((s) => join(archiveDir, s.file));
    const archived: StoredEvent[] = [];
    for await (const batch of readArchive(files)) archived.push(...batch);
    return [...archived, ...(await liveEntries(store))];
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
  const recorded = await store.segments();
  const files = recorded.map((s) => join(archiveDir, s.file));
  expect(await verifyArchive(files, store)).toMatchObject({ ok: true });
  expect(await viewOf(await rebuiltOverArchive(store, files), store)).toEqual(
    await inlineView(store),
  );
  await store.close();
  const now = await allEntries(schema, archiveDir);
  // Every entry there was is still there, unchanged: in a segment or in the live log.
  expect(now.slice(0, original.length).map((e) => [e.seq, e.hash])).toEqual(
    original.map((e) => [e.seq, e.hash]),
  );
  expect(now.length - original.length).toBe(recorded.length);
  // The next run completes what the killed one did not, and clears what it left behind.
  const again = await postgresStore({ connectionString: PG_URL, schema, clock });
  const result = await again.archive({ before: NOW - 3 * DAY, archiveDir });
  const segments = await again.segments();
  expect(
    await verifyArchive(
      segments.map((s) => join(archiveDir, s.file)),
      again,
    ),
  ).toMatchObject({ ok: true });
  expect(readdirSync(archiveDir).sort()).toEqual(segments.map((s) => s.file).sort());
  expect(recorded.length > 0 || result.segment !== undefined).toBe(true);
  await again.close();
  return recorded.length;
}

describe('a PostgreSQL archive run under SIGKILL', () => {
  let original: StoredEvent[];
  beforeAll(async () => {
    original = await allEntries(pristine, dir);
    expect(original.length).toBeGreaterThanOrEqual(ENTRIES);
  });

  const steps: readonly [ArchiveStep, number][] = [
    ['segment-written', 0],
    ['segment-sealed', 0],
    ['recording', 0],
    ['recorded', 1],
  ];
  it.each(steps)(
    'killed at %s loses nothing, reopens with the full check, and the next run completes',
    async (step, segments) => {
      const schema = await copyOfPristine();
      const archiveDir = join(dir, schema);
      const life = start(schema, archiveDir, step, (line) => line === `step ${step}`);
      const lines = await life.exit;
      expect(lines).toContain(`step ${step}`);
      expect(lines).not.toContain('done');
      expect(await checkAfterKill(schema, archiveDir, original)).toBe(segments);
    },
    60_000,
  );

  it('killed at random moments of the run loses nothing', async () => {
    const outcomes: number[] = [];
    for (let life = 0; life < 4; life++) {
      const schema = await copyOfPristine();
      const archiveDir = join(dir, schema);
      const delay = 20 + Math.random() * 400;
      const current = start(schema, archiveDir, 'none', (line) => {
        if (line === 'opened') setTimeout(() => current.child.kill('SIGKILL'), delay);
        return false;
      });
      await current.exit;
      outcomes.push(await checkAfterKill(schema, archiveDir, original));
    }
    expect(outcomes.every((n) => n === 0 || n === 1)).toBe(true);
  }, 120_000);
});
