import { beforeAll, describe, expect, it } from 'vitest';
import { isPlanflowError, StorageError } from '../../src/domain/errors.js';
import { EventLog } from '../../src/log/EventLog.js';
import { type NewEvent, type StoredEvent, streams } from '../../src/log/events.js';
import { type PostgresStore, postgresStore } from '../../src/postgres/index.js';
import { PG_URL, requirePostgres, sql, useTempSchemas } from '../helpers/pgSchemas.js';

beforeAll(requirePostgres);
const newSchema = useTempSchemas();

const started = (instanceId: string): NewEvent => ({
  type: 'scheduler.started',
  stream: streams.scheduler,
  data: { instanceId },
});
const triggered = (occurrenceId: string): NewEvent => ({
  type: 'occurrence.triggered',
  stream: streams.occurrence(occurrenceId),
  data: { occurrenceId, attempt: 0, idempotencyKey: occurrenceId, lateByMs: 0 },
});

async function readAll(store: PostgresStore): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for await (const batch of store.read()) all.push(...batch);
  return all;
}

/** Two stores (as two processes would open them) on one new schema. */
async function twoWriters(): Promise<[PostgresStore, PostgresStore, () => Promise<void>]> {
  const schema = newSchema();
  const a = await postgresStore({ connectionString: PG_URL, schema });
  const b = await postgresStore({ connectionString: `${PG_URL}?schema=${schema}` });
  return [a, b, async () => Promise.all([a.close(), b.close()]).then(() => undefined)];
}

/** Polls the server (not the clock) until `check` holds; fails after 200 tries. */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('the server never reached the awaited state');
}

describe('several postgresStores on one schema', () => {
  it('keep one gapless, verified chain while appending concurrently', async () => {
    const [a, b, close] = await twoWriters();
    try {
      const calls: Promise<readonly StoredEvent[]>[] = [];
      for (let round = 0; round < 40; round++) {
        calls.push(a.append([started(`a${round}`), started(`a${round}'`)]));
        calls.push(b.append([started(`b${round}`)]));
        if (round % 5 === 0) await Promise.all(calls);
      }
      const results = await Promise.all(calls);
      const seqs = results.flat().map((e) => e.seq);
      expect(seqs.sort((x, y) => x - y)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
      const log = await readAll(b);
      expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
      expect(await a.head()).toEqual(await b.head());
      expect(await a.verify({ full: true })).toMatchObject({ ok: true, entries: 120 });
      expect(await b.verify()).toMatchObject({ ok: true, entries: 120 });
    } finally {
      await close();
    }
  });

  it('let exactly one of two writers trigger an occurrence; the other batch is refused whole', async () => {
    const [a, b, close] = await twoWriters();
    try {
      for (let i = 0; i < 10; i++) {
        const results = await Promise.allSettled([
          a.append([started(`a${i}`), triggered(`o${i}`)]),
          b.append([triggered(`o${i}`), started(`b${i}`)]),
        ]);
        const lost = results.filter((r) => r.status === 'rejected');
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(isPlanflowError(lost[0]!.reason, 'planflow:already-triggered')).toBe(true);
      }
      const log = await readAll(a);
      expect(log).toHaveLength(20);
      const triggers = log.filter((e) => e.type === 'occurrence.triggered').map((e) => e.stream);
      expect(new Set(triggers).size).toBe(10);
      expect(await a.verify({ full: true })).toMatchObject({ ok: true, entries: 20 });
    } finally {
      await close();
    }
  });

  it('refuse a second trigger at the unique index even when it bypasses the store', async () => {
    const [a, , close] = await twoWriters();
    try {
      await a.append([triggered('o1')]);
      const error = await sql(
        `INSERT INTO "${a.schema}".entries SELECT seq + 1, id || 'x', type, time, stream, data, schema_version, hash, hash, task_id FROM "${a.schema}".entries WHERE seq = 1`,
      ).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: '23505', constraint: 'entries_one_trigger_per_stream' });
    } finally {
      await close();
    }
  });

  it('tell each other of their appends, and an EventLog reads them in by itself', async () => {
    const [a, b, close] = await twoWriters();
    try {
      const log = await EventLog.open(b);
      const seen: number[] = [];
      const third = new Promise<void>((resolve) => {
        log.events.subscribe((e) => {
          seen.push(e.seq);
          if (e.seq === 3) resolve();
        });
      });
      const heard: number[] = [];
      const unsubscribe = b.watchHead((seq) => heard.push(seq));
      // Listening is set up asynchronously; wait until the server has b's listener.
      await until(
        async () =>
          (
            await sql(
              "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'",
              [`planflow:${a.schema}`],
            )
          ).length > 0,
      );
      await a.append([started('x'), started('y')]);
      await a.append([started('z')]);
      await third;
      expect(seen).toEqual([1, 2, 3]);
      expect(log.model.lastSeq).toBe(3);
      await until(async () => heard.includes(3));
      expect(heard).toEqual([2, 3]);
      unsubscribe();
      log.complete();
    } finally {
      await close();
    }
  });
});

describe('postgresStore when the connection is lost', () => {
  it('rejects the append in flight with a transient StorageError, then appends again', async () => {
    const schema = newSchema();
    const store = await postgresStore({ connectionString: PG_URL, schema });
    // Hold the schema's append lock from outside, so the store's append waits inside its
    // transaction, then terminate the backend that waits.
    const pg = (await import('pg')).default;
    const holder = new pg.Client({ connectionString: PG_URL });
    await holder.connect();
    try {
      await store.append([started('before')]);
      await holder.query(`SELECT pg_advisory_lock(1347831366, hashtext('${schema}'))`);
      const failed = store.append([started('lost')]).catch((e: unknown) => e);
      let pid: number | undefined;
      await until(async () => {
        const rows = await sql<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
          [`planflow:${schema}`],
        );
        pid = rows[0]?.pid;
        return pid !== undefined;
      });
      await sql('SELECT pg_terminate_backend($1)', [pid]);
      const error = await failed;
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({
        code: 'planflow:storage-unavailable',
        transient: true,
        cause: { code: '57P01' },
      });
      await holder.query(`SELECT pg_advisory_unlock(1347831366, hashtext('${schema}'))`);
      const [next] = await store.append([started('after')]);
      expect(next!.seq).toBe(2);
      expect(await store.verify({ full: true })).toMatchObject({ ok: true, entries: 2 });
    } finally {
      await holder.end();
      await store.close();
    }
  });

  it('fails to open with a transient StorageError when the server cannot be reached', async () => {
    const error = await postgresStore({
      connectionString: 'postgres://postgres@127.0.0.1:1/test',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: 'planflow:storage-unavailable', transient: true });
    expect((error as Error).message).toContain('127.0.0.1:1/test');
  });
});
