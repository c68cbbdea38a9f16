/**
 * What does `planflow/postgres` cost, and how soon do other instances hear of an append?
 * Measures, on this machine, with the store itself (group commit, advisory lock, read model):
 *
 * - awaited one-entry appends (one transaction each): µs per append;
 * - 1 000 one-entry appends made in one tick (one group commit): µs per entry;
 * - 1 and 3 stores on one schema (as 3 processes would open it; here 3 pools in one process),
 *   each appending awaited one-entry batches for 3 s: entries/s over all, append p50/p99;
 * - NOTIFY: a second store on the schema watches the head; for 500 awaited appends, the delay
 *   from the writer's append resolving (commit acknowledged) to the watcher hearing that seq,
 *   and from the append call to it. The notification can arrive before the acknowledgement
 *   (negative delay): both travel from the server at commit.
 *
 * Run: `npx tsx bench/experiments/pgStore.ts [connection string]` (figures on stdout).
 */
import pg from 'pg';
import type { NewEvent } from '../../src/log/events.js';
import { type PostgresStore, postgresStore } from '../../src/postgres/index.js';

const url = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `pgstore_bench_${process.pid}`;

const quantile = (xs: number[], q: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
const event = (i: number): NewEvent => ({
  type: 'scheduler.started',
  stream: 'scheduler',
  data: { instanceId: `bench-${i}` },
});

async function writers(count: number, runMs: number): Promise<void> {
  const stores: PostgresStore[] = [];
  for (let i = 0; i < count; i++)
    stores.push(await postgresStore({ connectionString: url, schema }));
  const latencies: number[] = [];
  const until = performance.now() + runMs;
  const start = performance.now();
  const written = await Promise.all(
    stores.map(async (store, w) => {
      let n = 0;
      while (performance.now() < until) {
        const t = performance.now();
        await store.append([event(w * 1_000_000 + n)]);
        latencies.push(performance.now() - t);
        n++;
      }
      return n;
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const total = written.reduce((a, b) => a + b, 0);
  const verified = await stores[0]!.verify({ full: true });
  console.log(
    `${count} writer${count > 1 ? 's' : ''} on one schema: ${(total / seconds).toFixed(0)} entries/s, append p50 ${quantile(latencies, 0.5).toFixed(2)} ms, p99 ${quantile(latencies, 0.99).toFixed(2)} ms; chain ${verified.ok ? `verified, ${verified.entries} entries` : 'BROKEN'}`,
  );
  for (const store of stores) await store.close();
}

async function main(): Promise<void> {
  const store = await postgresStore({ connectionString: url, schema });
  for (let i = 0; i < 50; i++) await store.append([event(i)]);
  let t = performance.now();
  for (let i = 0; i < 500; i++) await store.append([event(i)]);
  console.log(
    `awaited one-entry appends: ${(((performance.now() - t) * 1000) / 500).toFixed(0)} µs per append`,
  );
  t = performance.now();
  await Promise.all(Array.from({ length: 1000 }, (_, i) => store.append([event(i)])));
  console.log(
    `1 000 appends in one tick: ${(((performance.now() - t) * 1000) / 1000).toFixed(1)} µs per entry`,
  );

  const watcher = await postgresStore({ connectionString: url, schema });
  const heardAt = new Map<number, number>();
  const waiting = new Map<number, () => void>();
  watcher.watchHead((seq) => {
    heardAt.set(seq, performance.now());
    waiting.get(seq)?.();
  });
  // Wait for the LISTEN to be in place: append until the watcher hears one.
  while (heardAt.size === 0) {
    await store.append([event(-1)]);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const afterAck: number[] = [];
  const afterCall: number[] = [];
  for (let i = 0; i < 500; i++) {
    const called = performance.now();
    const [stored] = await store.append([event(i)]);
    const acked = performance.now();
    const seq = stored!.seq;
    if (!heardAt.has(seq)) await new Promise<void>((resolve) => waiting.set(seq, resolve));
    waiting.delete(seq);
    afterAck.push(heardAt.get(seq)! - acked);
    afterCall.push(heardAt.get(seq)! - called);
  }
  const ms = (xs: number[], q: number) => quantile(xs, q).toFixed(2);
  console.log(
    `NOTIFY to another store: after the append resolved p50 ${ms(afterAck, 0.5)} ms, p99 ${ms(afterAck, 0.99)} ms; after the append call p50 ${ms(afterCall, 0.5)} ms, p99 ${ms(afterCall, 0.99)} ms (500 appends)`,
  );
  await watcher.close();
  await store.close();

  for (const count of [1, 3]) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
    await writers(count, 3000);
  }
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}

await main();
