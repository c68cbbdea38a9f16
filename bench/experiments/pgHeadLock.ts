/**
 * How should writers on one PostgreSQL schema take turns, so the hash chain stays one gapless
 * sequence? Measures, on this machine, the two ways `planflow/postgres` could serialise
 * appends, with 1 and with 3 concurrent writers (each its own connection, appending
 * transactions of 1 and of 10 entries as fast as it can for a fixed time):
 *
 * - `head row`: `SELECT seq, hash FROM head WHERE one FOR UPDATE`, then the entries, then
 *   `UPDATE head`: the row lock is the turn, and the row is the head.
 * - `advisory lock`: `SELECT pg_advisory_xact_lock(key)`, then the head read from the
 *   entries table (`ORDER BY seq DESC LIMIT 1` on the primary key), then the entries.
 *
 * Printed: entries per second over all writers, and the median and p99 of one transaction's
 * latency; at the end, the table is checked gapless (a fork would show as a duplicate key
 * error during the run).
 *
 * Run: `npx tsx bench/experiments/pgHeadLock.ts [connection string]` (figures on stdout).
 */
import pg from 'pg';

const url = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `pgheadlock_${process.pid}`;
const RUN_MS = 3000;
const ROUNDS = 3;

const quantile = (xs: number[], q: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
const median = (xs: number[]): number => quantile(xs, 0.5);

const INSERT = `INSERT INTO ${SCHEMA}.entries (seq, stream, data, prev_hash, hash)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[])`;

type Strategy = Readonly<{
  name: string;
  /** Takes the turn and returns the head seq. */
  lock(client: pg.PoolClient): Promise<number>;
  /** Records the new head (when the strategy keeps one). */
  moved(client: pg.PoolClient, seq: number): Promise<void>;
}>;

const strategies: Strategy[] = [
  {
    name: 'head row FOR UPDATE',
    async lock(client) {
      const { rows } = await client.query<[string]>({
        text: `SELECT seq FROM ${SCHEMA}.head WHERE one FOR UPDATE`,
        rowMode: 'array',
      });
      return Number(rows[0]![0]);
    },
    async moved(client, seq) {
      await client.query(`UPDATE ${SCHEMA}.head SET seq = $1, hash = $2 WHERE one`, [seq, 'h']);
    },
  },
  {
    name: 'advisory xact lock',
    async lock(client) {
      await client.query('SELECT pg_advisory_xact_lock(4242)');
      const { rows } = await client.query<[string]>({
        text: `SELECT seq FROM ${SCHEMA}.entries ORDER BY seq DESC LIMIT 1`,
        rowMode: 'array',
      });
      return rows.length === 0 ? 0 : Number(rows[0]![0]);
    },
    async moved() {},
  },
];

async function writer(
  pool: pg.Pool,
  strategy: Strategy,
  batch: number,
  until: number,
  latencies: number[],
): Promise<number> {
  const client = await pool.connect();
  let written = 0;
  try {
    while (performance.now() < until) {
      const t = performance.now();
      await client.query('BEGIN');
      const head = await strategy.lock(client);
      const cols: [number[], string[], string[], string[], string[]] = [[], [], [], [], []];
      for (let i = 1; i <= batch; i++) {
        cols[0].push(head + i);
        cols[1].push(`occurrence:o${head + i}`);
        cols[2].push('{"occurrenceId":"o","durationMs":5}');
        cols[3].push('a'.repeat(64));
        cols[4].push('b'.repeat(64));
      }
      await client.query(INSERT, cols);
      await strategy.moved(client, head + batch);
      await client.query('COMMIT');
      latencies.push(performance.now() - t);
      written += batch;
    }
  } finally {
    client.release();
  }
  return written;
}

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  await pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await pool.query(`CREATE SCHEMA ${SCHEMA}`);
  await pool.query(
    `CREATE TABLE ${SCHEMA}.entries (seq bigint PRIMARY KEY, stream text, data text, prev_hash text, hash text)`,
  );
  await pool.query(
    `CREATE TABLE ${SCHEMA}.head (one boolean PRIMARY KEY, seq bigint NOT NULL, hash text NOT NULL)`,
  );
  const results = new Map<string, { rate: number[]; p50: number[]; p99: number[] }>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const strategy of round % 2 === 0 ? strategies : [...strategies].reverse()) {
      for (const writers of [1, 3]) {
        for (const batch of [1, 10]) {
          await pool.query(`TRUNCATE ${SCHEMA}.entries`);
          await pool.query(`DELETE FROM ${SCHEMA}.head`);
          await pool.query(`INSERT INTO ${SCHEMA}.head VALUES (true, 0, '')`);
          const latencies: number[] = [];
          const t = performance.now();
          const until = t + RUN_MS;
          const counts = await Promise.all(
            Array.from({ length: writers }, () => writer(pool, strategy, batch, until, latencies)),
          );
          const elapsed = (performance.now() - t) / 1000;
          const total = counts.reduce((a, b) => a + b, 0);
          const { rows } = await pool.query<{ n: string; max: string }>(
            `SELECT count(*) AS n, coalesce(max(seq), 0) AS max FROM ${SCHEMA}.entries`,
          );
          if (Number(rows[0]!.n) !== total || Number(rows[0]!.max) !== total) {
            throw new Error(`${strategy.name}: the table is not gapless (${JSON.stringify(rows)})`);
          }
          const key = `${strategy.name}, ${writers} writer${writers > 1 ? 's' : ''}, ${batch}/tx`;
          const r = results.get(key) ?? { rate: [], p50: [], p99: [] };
          results.set(key, r);
          r.rate.push(total / elapsed);
          r.p50.push(median(latencies));
          r.p99.push(quantile(latencies, 0.99));
        }
      }
    }
  }
  console.log(`Serialising appends, ${RUN_MS / 1000} s per run, medians of ${ROUNDS} rounds`);
  for (const [key, r] of results) {
    console.log(
      `${key}: ${median(r.rate).toFixed(0)} entries/s, tx p50 ${median(r.p50).toFixed(2)} ms, p99 ${median(r.p99).toFixed(2)} ms`,
    );
  }
  await pool.query(`DROP SCHEMA ${SCHEMA} CASCADE`);
  await pool.end();
}

await main();
