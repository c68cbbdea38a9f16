// What PostgreSQL itself spends per trigger, whoever the client: the server's CPU for the rows
// one occurrence's trigger and outcome need (two entry rows with their task, the read model's
// UPDATE for each), written by a plain `pg` client in one transaction per batch of `batch`
// (a multi-row INSERT and an UPDATE from unnest, one round trip each), against PlanFlow's
// `postgresStore().append()` of the same facts in the same batches. `n` pending occurrences
// are recorded first (by the store, so the schema is its own); each way gets a schema of its
// own. Server CPU is every `postgres` process's, so run it on an otherwise quiet server.
//   npx tsx bench/experiments/pgBurstFloor.ts [n] [batch...]

import pg from 'pg';
import type { NewEvent } from '../../src/log/events.js';
import { postgresStore } from '../../src/postgres/index.js';
import { dropPgSchema } from '../lib/dropPgSchema.js';
import { pendingLog } from '../lib/pendingLog.js';
import { rowsFor } from '../lib/rawRows.js';
import { processCpuMs, serverCpuOf } from '../lib/serverCpu.js';
import { outcomeEvents } from '../scenarios/durableBurst.js';
import { PG_URL } from '../subjects/durableSettings.js';

const N = Number(process.argv[2] ?? 10_000);
const BATCHES = process.argv.slice(3).map(Number);
if (BATCHES.length === 0) BATCHES.push(256, 16);
const serverCpu = serverCpuOf('planflow-postgres');

const pending = pendingLog(N, Date.now() + 3_600_000);
const occurrences = pending.flatMap((e) =>
  e.type === 'occurrence.scheduled' ? [e.data.occurrence] : [],
);
const pairs = occurrences.map(outcomeEvents);
const rows = (await rowsFor([...pending, ...pairs.flat()])).slice(pending.length);

async function prepared(schema: string): Promise<void> {
  const store = await postgresStore({ connectionString: PG_URL, schema, verifyOnOpen: false });
  for (let i = 0; i < pending.length; i += 5_000) await store.append(pending.slice(i, i + 5_000));
  await store.close();
}

type Way = (schema: string, batch: number) => Promise<void>;

const raw: Way = async (schema, batch) => {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  const q = `"${schema}"`;
  const at = new Date().toISOString();
  const execution = (kind: string) => JSON.stringify({ attempt: 0, steps: [{ kind, at }] });
  const write = async (first: number, count: number, outcome: boolean) => {
    const chunk: (typeof rows)[number][] = [];
    for (let j = first; j < first + count; j++) chunk.push(rows[2 * j + (outcome ? 1 : 0)]!);
    const ids = occurrences.slice(first, first + count).map((o) => o.id);
    const tasks = occurrences.slice(first, first + count).map((o) => o.taskId);
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO ${q}.entries (seq, id, type, time, stream, data, schema_version, prev_hash, hash, task_id)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
         $7::integer[], $8::text[], $9::text[], $10::text[])`,
      [0, 1, 2, 3, 4, 5, 6, 7, 8].map((c) => chunk.map((r) => r[c])).concat([tasks]),
    );
    await client.query(
      `UPDATE ${q}.occurrences o SET state = u.state, live = u.live, execution = u.execution,
         first_at = u.first_at, retries_left = 0
       FROM unnest($1::text[], $2::text[], $3::boolean[], $4::text[], $5::text[])
         AS u(id, state, live, execution, first_at)
       WHERE o.id = u.id`,
      [
        ids,
        ids.map(() => (outcome ? 'completed' : 'triggered')),
        ids.map(() => !outcome),
        ids.map(() => execution(outcome ? 'completed' : 'triggered')),
        ids.map(() => at),
      ],
    );
    await client.query('COMMIT');
  };
  for (let i = 0; i < N; i += batch) {
    const count = Math.min(batch, N - i);
    await write(i, count, false);
    await write(i, count, true);
  }
  await client.end();
};

const store: Way = async (schema, batch) => {
  const log = await postgresStore({ connectionString: PG_URL, schema, verifyOnOpen: false });
  for (let i = 0; i < N; i += batch) {
    await log.append(pairs.slice(i, i + batch).map((p) => p[0]) as NewEvent[]);
    await log.append(pairs.slice(i, i + batch).map((p) => p[1]) as NewEvent[]);
  }
  await log.close();
};

console.log(`n=${N}: per trigger (a trigger and its outcome), µs`);
for (const batch of BATCHES) {
  for (const [name, way] of [
    ['raw pg', raw],
    ['store', store],
  ] as const) {
    const schema = `bench_pgfloor_${name === 'raw pg' ? 'raw' : 'store'}_${batch}`;
    await dropPgSchema(schema);
    await prepared(schema);
    const server0 = serverCpu() ?? Number.NaN;
    const cpu0 = processCpuMs();
    const t0 = performance.now();
    await way(schema, batch);
    const wall = performance.now() - t0;
    const cpu = processCpuMs() - cpu0;
    const server = (serverCpu() ?? Number.NaN) - server0;
    await dropPgSchema(schema);
    const per = (ms: number) => ((ms * 1000) / N).toFixed(0).padStart(5);
    console.log(
      `batch ${String(batch).padStart(4)}  ${name.padEnd(7)} wall ${per(wall)}  client CPU ${per(cpu)}  server CPU ${per(server)}`,
    );
  }
}
