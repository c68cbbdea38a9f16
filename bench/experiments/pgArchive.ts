/**
 * Retention on a long PostgreSQL log: the archive run's time (wall and this process's CPU),
 * how long its record transaction holds the append lock (from the segment sealed to the
 * commit), the segment's size, the tables' size (after the run, and after VACUUM FULL), what
 * a writer in another process saw meanwhile (awaited one-entry appends: slowest and p99), and the time to verify archive and live log as
 * one chain.
 *
 *   npx tsx bench/experiments/pgArchive.ts 100000 [connection string]
 *
 * The log is `bench/experiments/archive.ts`'s (`bench/lib/archiveHistory.ts`: `n` entries
 * of settled history over 100 days, 100 pending occurrences; every entry older than 10 days
 * is archived). It is written once into a schema
 * and copied into a fresh one for the run; both are dropped at the end.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { verifyArchive } from '../../src/log/verifyArchive.js';
import { postgresStore } from '../../src/postgres/index.js';
import { ARCHIVE_HISTORY, writeArchiveHistory } from '../lib/archiveHistory.js';

const { now: NOW, keepMs } = ARCHIVE_HISTORY;

const n = Number(process.argv[2] ?? 100_000);
const url = process.argv[3] ?? 'postgres://postgres@127.0.0.1:5432/test';
const source = `pgarchive_bench_src_${process.pid}`;
const target = `pgarchive_bench_run_${process.pid}`;

async function sql(text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

async function write(schema: string): Promise<void> {
  await writeArchiveHistory((clock) => postgresStore({ connectionString: url, schema, clock }), n);
}

async function copy(from: string, to: string): Promise<void> {
  await (await postgresStore({ connectionString: url, schema: to })).close();
  for (const table of ['entries', 'occurrences', 'log_state']) {
    await sql(`INSERT INTO "${to}".${table} SELECT * FROM "${from}".${table}`);
  }
  await sql(`INSERT INTO "${to}".tasks OVERRIDING SYSTEM VALUE SELECT * FROM "${from}".tasks`);
  await sql(`VACUUM ANALYZE "${to}".entries`);
  await sql(`VACUUM ANALYZE "${to}".occurrences`);
}

const tableBytes = async (schema: string): Promise<number> =>
  Number(
    (
      await sql(
        `SELECT sum(pg_total_relation_size(c.oid))::bigint AS b FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = '${schema}' AND c.relkind = 'r'`,
      )
    ).rows[0].b,
  );

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const dir = mkdtempSync(join(tmpdir(), 'planflow-pg-archive-bench-'));
try {
  await write(source);
  await copy(source, target);
  const clock = { now: () => NOW };
  const store = await postgresStore({ connectionString: url, schema: target, clock });
  const before = await tableBytes(target);
  // Another instance (a process of its own) appends awaited one-entry batches throughout.
  const probe = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'pgAppendProbe.ts'), url, target],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let probeOut = '';
  const ready = new Promise<void>((resolve) => {
    probe.stdout.on('data', (chunk: Buffer) => {
      probeOut += chunk.toString();
      if (probeOut.startsWith('ready\n')) resolve();
    });
  });
  const probeExit = new Promise<void>((resolve) => probe.on('exit', () => resolve()));
  await ready;
  let sealedAt = 0;
  let recordedAt = 0;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const result = await store.archive({
    before: NOW - keepMs,
    archiveDir: dir,
    onStep: (step) => {
      if (step === 'segment-sealed') sealedAt = performance.now();
      if (step === 'recorded') recordedAt = performance.now();
    },
  });
  const archiveMs = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  probe.kill('SIGTERM');
  await probeExit;
  const appends = JSON.parse(probeOut.split('\n')[1]!) as {
    appends: number;
    p99: number;
    max: number;
  };
  const segment = result.segment!;
  const after = await tableBytes(target);
  let t = performance.now();
  const live = await store.verify({ full: true });
  const liveMs = performance.now() - t;
  t = performance.now();
  const whole = await verifyArchive([result.path!], store);
  const wholeMs = performance.now() - t;
  await store.close();
  // Dead rows are reused by later appends; only VACUUM FULL gives the space back.
  await sql(`VACUUM FULL "${target}".entries`);
  await sql(`VACUUM FULL "${target}".occurrences`);
  const compacted = await tableBytes(target);
  const load = (await import('node:os')).loadavg();
  console.log(
    JSON.stringify(
      {
        entries: n,
        archived: segment.count,
        pruned: result.prunedOccurrences,
        archiveRun: s(archiveMs),
        archiveRunCpu: s((used.user + used.system) / 1000),
        recordTransaction: s(recordedAt - sealedAt),
        segment: mb(segment.bytes),
        bytesPerArchivedEntry: (segment.bytes / segment.count).toFixed(1),
        tablesBefore: mb(before),
        tablesAfter: mb(after),
        tablesAfterVacuumFull: mb(compacted),
        writerAppendsDuringRun: appends.appends,
        writerAppendP99: `${appends.p99.toFixed(1)} ms`,
        writerAppendMax: `${appends.max.toFixed(1)} ms`,
        verifyLive: `${s(liveMs)} (${live.ok ? 'ok' : 'FAILED'})`,
        verifyArchiveAndLive: `${s(wholeMs)} (${whole.ok ? 'ok' : 'FAILED'})`,
        load: load.map((x) => x.toFixed(1)).join(' '),
      },
      null,
      2,
    ),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  await sql(`DROP SCHEMA IF EXISTS "${source}" CASCADE`);
  await sql(`DROP SCHEMA IF EXISTS "${target}" CASCADE`);
}
