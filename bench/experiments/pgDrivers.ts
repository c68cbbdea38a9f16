/**
 * Which PostgreSQL driver should `planflow/postgres` use? Measures, on this machine, `pg`
 * (node-postgres, with its pool) against `postgres` (porsager), doing what the store does:
 *
 * - appends: one transaction per batch of 1, 10 or 100 entry rows (BEGIN, read the head row
 *   FOR UPDATE, one multi-row INSERT through `unnest` of array parameters, move the head,
 *   COMMIT), awaited one after the other: µs per entry;
 * - reads: keyset pages of 500 entries (`WHERE seq > $1 ORDER BY seq LIMIT 500`) over the
 *   whole table: µs per entry.
 *
 * Both drivers run the same SQL text with parameters (prepared statements), on a table of
 * the shape the store uses, in a schema of their own that is dropped at the end. The drivers
 * alternate within each of 3 rounds; medians are printed.
 *
 * Run: `npx tsx bench/experiments/pgDrivers.ts [connection string]` (figures on stdout).
 */
import pg from 'pg';
import postgres from 'postgres';

const url = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `pgdrivers_${process.pid}`;
const ROUNDS = 3;
const ENTRIES_PER_RUN = 2000;
const PAGE = 500;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const SETUP = [
  `DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`,
  `CREATE SCHEMA ${SCHEMA}`,
  `CREATE TABLE ${SCHEMA}.entries (seq bigint PRIMARY KEY, id text NOT NULL, type text NOT NULL,
     time text NOT NULL, stream text NOT NULL, data text NOT NULL, schema_version int NOT NULL,
     prev_hash text NOT NULL, hash text NOT NULL)`,
  `CREATE TABLE ${SCHEMA}.head (one boolean PRIMARY KEY, seq bigint NOT NULL, hash text NOT NULL)`,
];
const RESET = [`TRUNCATE ${SCHEMA}.entries`, `DELETE FROM ${SCHEMA}.head`];
const HEAD_INIT = `INSERT INTO ${SCHEMA}.head VALUES (true, 0, '')`;
const LOCK_HEAD = `SELECT seq, hash FROM ${SCHEMA}.head WHERE one FOR UPDATE`;
const INSERT = `INSERT INTO ${SCHEMA}.entries
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::int[], $8::text[], $9::text[])`;
const MOVE_HEAD = `UPDATE ${SCHEMA}.head SET seq = $1, hash = $2 WHERE one`;
const PAGE_SQL = `SELECT seq, id, type, time, stream, data, schema_version, prev_hash, hash
  FROM ${SCHEMA}.entries WHERE seq > $1 ORDER BY seq LIMIT ${PAGE}`;

type Columns = [
  number[],
  string[],
  string[],
  string[],
  string[],
  string[],
  number[],
  string[],
  string[],
];

function columns(fromSeq: number, count: number): Columns {
  const c: Columns = [[], [], [], [], [], [], [], [], []];
  for (let i = 0; i < count; i++) {
    const seq = fromSeq + i;
    c[0].push(seq);
    c[1].push(`id${seq}xxxxxxxxxxxxxxxxx`);
    c[2].push('occurrence.completed');
    c[3].push('2026-03-02T08:00:00.000Z');
    c[4].push(`occurrence:o${seq}`);
    c[5].push(JSON.stringify({ occurrenceId: `o${seq}`, durationMs: 5 }));
    c[6].push(1);
    c[7].push('a'.repeat(64));
    c[8].push('b'.repeat(64));
  }
  return c;
}

type Driver = Readonly<{
  name: string;
  exec(sql: string): Promise<void>;
  appendBatch(count: number): Promise<void>;
  readAll(): Promise<number>;
  end(): Promise<void>;
}>;

function nodePostgres(): Driver {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  let n = 0;
  const named = (text: string) => ({ name: `q${n++}`, text });
  const lock = named(LOCK_HEAD);
  const insert = named(INSERT);
  const move = named(MOVE_HEAD);
  const page = named(PAGE_SQL);
  return {
    name: 'pg 8 (node-postgres + pg-pool)',
    exec: async (sql) => {
      await pool.query(sql);
    },
    async appendBatch(count) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const head = await client.query<{ seq: string }>(lock);
        const from = Number(head.rows[0]!.seq) + 1;
        await client.query({ ...insert, values: columns(from, count) });
        await client.query({ ...move, values: [from + count - 1, 'b'.repeat(64)] });
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    },
    async readAll() {
      let after = 0;
      let total = 0;
      for (;;) {
        const { rows } = await pool.query<{ seq: string }>({ ...page, values: [after] });
        if (rows.length === 0) return total;
        total += rows.length;
        after = Number(rows[rows.length - 1]!.seq);
      }
    },
    end: () => pool.end(),
  };
}

function porsager(): Driver {
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  return {
    name: 'postgres 3 (porsager)',
    exec: async (text) => {
      await sql.unsafe(text);
    },
    async appendBatch(count) {
      await sql.begin(async (tx) => {
        const head = await tx.unsafe<{ seq: string }[]>(LOCK_HEAD, [], { prepare: true });
        const from = Number(head[0]!.seq) + 1;
        await tx.unsafe(INSERT, columns(from, count) as never, { prepare: true });
        await tx.unsafe(MOVE_HEAD, [from + count - 1, 'b'.repeat(64)], { prepare: true });
      });
    },
    async readAll() {
      let after = 0;
      let total = 0;
      for (;;) {
        const rows = await sql.unsafe<{ seq: string }[]>(PAGE_SQL, [after], { prepare: true });
        if (rows.length === 0) return total;
        total += rows.length;
        after = Number(rows[rows.length - 1]!.seq);
      }
    },
    end: () => sql.end(),
  };
}

async function main(): Promise<void> {
  const drivers = [nodePostgres(), porsager()];
  for (const sql of SETUP) await drivers[0]!.exec(sql);
  const figures = new Map<string, Map<string, number[]>>();
  const note = (driver: string, what: string, us: number) => {
    const byWhat = figures.get(driver) ?? new Map<string, number[]>();
    figures.set(driver, byWhat);
    byWhat.set(what, [...(byWhat.get(what) ?? []), us]);
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const driver of round % 2 === 0 ? drivers : [...drivers].reverse()) {
      for (const batch of [1, 10, 100]) {
        for (const sql of RESET) await driver.exec(sql);
        await driver.exec(HEAD_INIT);
        const calls = Math.max(20, ENTRIES_PER_RUN / batch);
        const t = performance.now();
        for (let i = 0; i < calls; i++) await driver.appendBatch(batch);
        note(driver.name, `append ${batch}/tx`, ((performance.now() - t) * 1000) / (calls * batch));
      }
      // Read a table of 20 000 entries (the 100-per-transaction run, topped up).
      for (let i = 0; i < 180; i++) await driver.appendBatch(100);
      const t = performance.now();
      const read = await driver.readAll();
      note(driver.name, `read pages of ${PAGE}`, ((performance.now() - t) * 1000) / read);
    }
  }
  console.log(
    `PostgreSQL drivers, ${url.replace(/\/\/[^@]*@/, '//')}, medians of ${ROUNDS} rounds, µs per entry`,
  );
  for (const [driver, byWhat] of figures) {
    console.log(
      `${driver}: ${[...byWhat].map(([what, xs]) => `${what} ${median(xs).toFixed(1)}`).join(', ')}`,
    );
  }
  await drivers[0]!.exec(`DROP SCHEMA ${SCHEMA} CASCADE`);
  for (const driver of drivers) await driver.end();
}

await main();
