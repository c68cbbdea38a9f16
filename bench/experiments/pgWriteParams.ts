// How much of a PostgreSQL group commit's client CPU goes into sending its columns: appends a
// burst's rows (10 000 occurrences scheduled, triggered and completed, 500 per append) to a
// fresh schema and prints wall time and this process's CPU per phase. Run before and after
// a change to src/postgres/PgProjection.ts' parameters:
//   npx tsx bench/experiments/pgWriteParams.ts
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type NewEvent, streams } from '../../src/log/events.js';
import { postgresStore } from '../../src/postgres/index.js';

const URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const N = 10_000;
const PER_APPEND = 500;
const schema = `bench_params_${randomBytes(4).toString('hex')}`;
const store = await postgresStore({ connectionString: URL, schema });
const ids = Array.from({ length: N }, (_, i) => `o_${i.toString().padStart(20, '0')}`);
const at = '2026-03-02T09:00:00.000Z';
const phases: Record<string, (id: string) => NewEvent> = {
  scheduled: (id) => ({
    type: 'occurrence.scheduled',
    stream: streams.occurrence(id),
    data: { occurrence: { id, taskId: 'burst', scheduledFor: at, attempt: 0, cause: 'initial' } },
  }),
  triggered: (id) => ({
    type: 'occurrence.triggered',
    stream: streams.occurrence(id),
    data: {
      occurrenceId: id,
      attempt: 0,
      idempotencyKey: `pf:burst:${id}`,
      lateByMs: 3,
      instanceId: 'bench-instance-0001',
    },
  }),
  completed: (id) => ({
    type: 'occurrence.completed',
    stream: streams.occurrence(id),
    data: { occurrenceId: id, durationMs: 0 },
  }),
};
try {
  for (const [phase, make] of Object.entries(phases)) {
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const appends: Promise<unknown>[] = [];
    for (let i = 0; i < N; i += PER_APPEND)
      appends.push(store.append(ids.slice(i, i + PER_APPEND).map(make)));
    await Promise.all(appends);
    const used = process.cpuUsage(cpu);
    console.log(
      `${phase.padEnd(10)} wall ${(performance.now() - t0).toFixed(0).padStart(5)} ms  cpu ${((used.user + used.system) / 1000).toFixed(0).padStart(5)} ms`,
    );
  }
} finally {
  await store.close();
  const client = new pg.Client({ connectionString: URL });
  await client.connect();
  await client.query(`DROP SCHEMA "${schema}" CASCADE`);
  await client.end();
}
