import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type StoredEvent, streams } from '../../src/log/events.js';
import { postgresStore } from '../../src/postgres/index.js';
import { TestClock } from '../../src/testing/TestClock.js';
import { schedulerHistory } from '../helpers/archiveFixtures.js';
import { planflow, useProjectDirs } from '../helpers/cliHarness.js';
import { DAY, T0 } from '../helpers/harness.js';
import { PG_URL, requirePostgres, sql, useTempSchemas } from '../helpers/pgSchemas.js';

beforeAll(requirePostgres);
const newSchema = useTempSchemas();
const newDir = useProjectDirs();

describe('planflow --db postgres://…?schema=…', () => {
  it('inits the schema, adds and lists tasks, shows history, verifies and prints the head', async () => {
    const dir = newDir();
    const schema = newSchema();
    const db = `${PG_URL}?schema=${schema}`;
    const init = await planflow(dir, ['--db', db, 'init', '--tz', 'UTC']);
    expect(init).toMatchObject({ code: 0, err: '' });
    expect(init.out).toContain(`Initialised schema "${schema}" at 127.0.0.1:5432/test`);
    const again = await planflow(dir, ['--db', db, 'init', '--tz', 'UTC']);
    expect(again.out).toContain('is already initialised');

    const add = await planflow(dir, ['--db', db, 'task', 'add', 'Backup', '--every', '1h']);
    expect(add).toMatchObject({ code: 0, err: '' });
    const list = await planflow(dir, ['--db', db, 'task', 'list', '--json']);
    expect(JSON.parse(list.out).map((r: { task: { id: string } }) => r.task.id)).toEqual([
      'backup',
    ]);
    const history = await planflow(dir, ['--db', db, 'history', 'backup', '--json']);
    const entries = JSON.parse(history.out) as StoredEvent[];
    expect(entries.map((e) => e.type)).toEqual(['task.defined', 'occurrence.scheduled']);

    const verify = await planflow(dir, ['--db', db, 'verify', '--full']);
    expect(verify.code).toBe(0);
    const head = await planflow(dir, ['--db', db, 'head']);
    expect(head.code).toBe(0);
    const anchor = head.out.split('\n')[0]!;
    expect(anchor).toMatch(/^\d+:[0-9a-f]{64}$/);
    const anchored = await planflow(dir, ['--db', db, 'verify', '--expect-head', anchor]);
    expect(anchored.code).toBe(0);
    expect(anchored.out).toContain('the anchored head matches');

    // A tampered entry: verify exits 1 and says where.
    await sql(`UPDATE "${schema}".entries SET data = '{"taskId":"x"}' WHERE seq = 2`);
    const broken = await planflow(dir, ['--db', db, 'verify', '--full']);
    expect(broken.code).toBe(1);
    expect(broken.out).toContain('entry #2');
  });

  it('refuses a schema without a log instead of creating one, except for init', async () => {
    const dir = newDir();
    const schema = newSchema();
    const db = `${PG_URL}?schema=${schema}`;
    const add = await planflow(dir, ['--db', db, 'task', 'add', 'Backup', '--every', '1h']);
    expect(add.code).not.toBe(0);
    expect(add.err).toContain(`no PlanFlow log in schema "${schema}"`);
    expect(await sql('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).toEqual([]);
    const archive = await planflow(dir, ['--db', db, 'archive', '--out', 'archive']);
    expect(archive.code).not.toBe(0);
    expect(archive.err).toContain(`no PlanFlow log in schema "${schema}"`);
    expect(await sql('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).toEqual([]);
  });

  it('reads a log another process writes', async () => {
    const dir = newDir();
    const schema = newSchema();
    const db = `${PG_URL}?schema=${schema}`;
    expect((await planflow(dir, ['--db', db, 'init', '--tz', 'UTC'])).code).toBe(0);
    const store = await postgresStore({ connectionString: PG_URL, schema });
    await store.append([
      { type: 'scheduler.started', stream: streams.scheduler, data: { instanceId: 'other' } },
    ]);
    await store.close();
    const verify = await planflow(dir, ['--db', db, 'verify']);
    expect(verify.code).toBe(0);
  });

  it('never prints the password of --db when it suggests the command to type again', async () => {
    const schema = newSchema();
    const url = new URL(PG_URL);
    url.password = 's3cret-pw';
    url.searchParams.set('schema', schema);
    const db = url.toString();
    const writer = newDir();
    expect((await planflow(writer, ['--db', db, 'init', '--tz', 'UTC'])).code).toBe(0);
    const add = await planflow(writer, [
      '--db',
      db,
      'task',
      'add',
      'Echo',
      '--every',
      '1h',
      '--run',
      'echo hi',
    ]);
    expect(add.code).toBe(0);
    // Another machine (its own approvals) has not approved the command: run refuses.
    const run = await planflow(newDir(), ['--db', db, 'run']);
    expect(run.code).toBe(3);
    expect(run.err).toContain('planflow approve echo --db');
    expect(run.err).toContain('the password is left out');
    expect(run.err).not.toContain('s3cret-pw');
  });

  it('archives a schema into --out, verifies it with its segments, and reads their history', async () => {
    const dir = newDir();
    const schema = newSchema();
    const db = `${PG_URL}?schema=${schema}`;
    const clock = new TestClock(T0);
    const store = await postgresStore({ connectionString: PG_URL, schema, clock });
    await schedulerHistory(store, clock, 6);
    await store.close();
    const before = new Date(T0 + 3 * DAY).toISOString();
    const noOut = await planflow(dir, ['--db', db, 'archive', '--before', before]);
    expect(noOut.code).toBe(2);
    expect(noOut.err).toContain('give the directory with --out <dir>');
    const vacuum = await planflow(dir, ['--db', db, 'archive', '--out', 'a', '--vacuum']);
    expect(vacuum.code).toBe(2);
    expect(vacuum.err).toContain('--vacuum compacts an SQLite file');
    const archive = await planflow(dir, [
      '--db',
      db,
      'archive',
      '--before',
      before,
      '--out',
      'archive',
      '--json',
    ]);
    expect(archive).toMatchObject({ code: 0, err: '' });
    const { segment, path } = JSON.parse(archive.out) as {
      segment: { lastSeq: number; file: string };
      path: string;
    };
    expect(path).toBe(join(dir, 'archive', segment.file));
    const plain = await planflow(dir, ['--db', db, 'verify']);
    expect(plain.code).toBe(0);
    expect(plain.out).toContain(`(1..${segment.lastSeq} are archived: add --archive <dir>`);
    const whole = await planflow(dir, ['--db', db, 'verify', '--full', '--archive', 'archive']);
    expect(whole).toMatchObject({ code: 0 });
    expect(whole.out).toMatch(/^ok: \d+ entries verify as one chain with the archive/);
    const live = JSON.parse(
      (await planflow(dir, ['--db', db, 'history', 'hourly', '--json'])).out,
    ) as StoredEvent[];
    const all = JSON.parse(
      (await planflow(dir, ['--db', db, 'history', 'hourly', '--json', '--archive', 'archive']))
        .out,
    ) as StoredEvent[];
    expect(all.length).toBeGreaterThan(live.length);
    expect(all[0]!.seq).toBeLessThanOrEqual(segment.lastSeq);
  });
});
