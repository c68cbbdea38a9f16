import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/log/events.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import { TestClock } from '../../src/testing/TestClock.js';
import { schedulerHistory } from '../helpers/archiveFixtures.js';
import { planflow, useProjectDirs } from '../helpers/cliHarness.js';
import { T0 } from '../helpers/harness.js';

const newDir = useProjectDirs();

/** A project whose log holds eight days of scheduler history; the CLI's clock is at its end. */
async function project() {
  const dir = newDir();
  const clock = new TestClock(T0);
  const store = await sqliteStore({ path: join(dir, 'planflow.db'), clock });
  await schedulerHistory(store, clock, 8);
  await store.close();
  const io = { clock };
  const run = (...args: string[]) => planflow(dir, args, io);
  return { dir, run, archiveDir: join(dir, 'planflow.db.archive') };
}

describe('planflow archive', () => {
  it('moves the entries older than --before into a segment and says what it did', async () => {
    const { run, archiveDir } = await project();
    const archived = await run('archive', '--before', '3d');
    expect(archived).toMatchObject({ code: 0, err: '' });
    expect(archived.out).toMatch(
      /^archived entries 1\.\.\d+ \(\d+\) older than 2026-03-07T07:30:00\.000Z/,
    );
    expect(archived.out).toMatch(/settled occurrence\(s\) left the read model/);
    const [segment] = readdirSync(archiveDir);
    expect(segment).toMatch(/^planflow\.db\.000000000001-\d{12}\.jsonl\.gz$/);
    const again = await run('archive', '--before', '3d', '--json');
    expect(JSON.parse(again.out).segment).toBeUndefined();
    expect(JSON.parse(again.out).before).toBe('2026-03-07T07:30:00.000Z');
    const nothing = await run('archive', '--before', '2026-03-01T00:00:00Z');
    expect(nothing.out).toMatch(/^nothing to archive: no entry is older than 2026-03-01/);
  });

  it('refuses a --before that is neither a duration nor an instant, or in the future', async () => {
    const { run } = await project();
    const bad = await run('archive', '--before', 'soonish');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--before must be a duration such as 90d .* or an instant/);
    const future = await run('archive', '--before', '2030-01-01T00:00:00Z');
    expect(future.code).not.toBe(0);
    expect(future.err).toMatch(/lies in the future/);
  });

  it('writes to --out and compacts the file with --vacuum', async () => {
    const { run, dir } = await project();
    const archived = await run('archive', '--before', '2d', '--out', 'cold', '--vacuum', '--json');
    const result = JSON.parse(archived.out) as { bytesBefore: number; bytesAfter: number };
    expect(result.bytesAfter).toBeLessThan(result.bytesBefore);
    expect(readdirSync(join(dir, 'cold'))).toHaveLength(1);
  });
});

describe('planflow verify --archive', () => {
  it('verifies segments and log as one chain, and says what plain verify left out', async () => {
    const { run, archiveDir } = await project();
    await run('archive', '--before', '3d');
    const plain = await run('verify');
    expect(plain.code).toBe(0);
    expect(plain.out).toMatch(
      /the live entries \d+\.\.\d+ verify \(1\.\.\d+ are archived: add --archive <dir>/,
    );
    const whole = await run('verify', '--archive', 'planflow.db.archive');
    expect(whole).toMatchObject({ code: 0 });
    expect(whole.out).toMatch(/^ok: \d+ entries verify as one chain with the archive/);
    const [file] = readdirSync(archiveDir);
    const path = join(archiveDir, file!);
    const lines = gunzipSync(readFileSync(path)).toString().trimEnd().split('\n');
    lines[7] = lines[7]!.replace('"time":"2026', '"time":"2025');
    const [header, ...entries] = lines;
    writeFileSync(
      path,
      Buffer.concat([gzipSync(`${header}\n`), gzipSync(`${entries.join('\n')}\n`)]),
    );
    const broken = await run('verify', '--archive', path);
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/^broken at entry #7: .*was changed after it was written/);
    const missing = await run('verify', '--archive', join(archiveDir, 'nope.jsonl.gz'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--archive: ".*nope\.jsonl\.gz" does not exist/);
  });
});

describe('planflow history --archive', () => {
  it('includes the archived entries of a task and of an archived occurrence', async () => {
    const { run } = await project();
    const before = JSON.parse((await run('history', 'hourly', '--json')).out) as StoredEvent[];
    await run('archive', '--before', '3d');
    const live = JSON.parse((await run('history', 'hourly', '--json')).out) as StoredEvent[];
    expect(live.length).toBeLessThan(before.length);
    const whole = JSON.parse(
      (await run('history', 'hourly', '--archive', 'planflow.db.archive', '--json')).out,
    ) as StoredEvent[];
    expect(whole.map((e) => e.seq)).toEqual(before.map((e) => e.seq));
    const archivedOccurrence = before.find((e) => e.type === 'occurrence.completed')!;
    const id = (archivedOccurrence.data as { occurrenceId: string }).occurrenceId;
    const gone = await run('history', '--occurrence', id);
    expect(gone.code).not.toBe(0);
    const found = await run(
      'history',
      '--occurrence',
      id.slice(0, 12),
      '--archive',
      'planflow.db.archive',
      '--json',
    );
    expect(found.code).toBe(0);
    const steps = (JSON.parse(found.out) as StoredEvent[]).map((e) => e.type);
    expect(steps).toEqual([
      'occurrence.scheduled',
      'occurrence.triggered',
      'occurrence.completed',
      'occurrence.recurred',
    ]);
    const table = await run('history', '--archive', 'planflow.db.archive');
    expect(table.out).toMatch(/log\.archived/);
    expect(table.out.split('\n')[1]).toMatch(/^1 /);
  });
});
