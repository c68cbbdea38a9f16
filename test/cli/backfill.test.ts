import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TestClock } from '../../src/testing/TestClock.js';
import { planflow, readLog, useProjectDirs } from '../helpers/cliHarness.js';

// `planflow backfill <task> --from … --to …` records the runs a past range would have had;
// `planflow run` runs them, one after another, and `history` shows what was skipped.

const T0 = Date.parse('2026-03-02T08:00:00.000Z'); // a Monday
const HOUR = 3_600_000;

describe('planflow CLI › backfill', () => {
  const newDir = useProjectDirs();

  async function project(clock: TestClock): Promise<string> {
    const dir = newDir();
    expect((await planflow(dir, ['init', '--tz', 'UTC'], { clock })).code).toBe(0);
    expect((await planflow(dir, ['task', 'add', 'Tick', '--every', '1h'], { clock })).code).toBe(0);
    return dir;
  }

  it('records a backfill of the past range for planflow run, and runs it there', async () => {
    const clock = new TestClock(T0);
    const dir = await project(clock);
    clock.jump(5 * HOUR);
    const out = await planflow(
      dir,
      ['backfill', 'tick', '--from', '2026-03-02T09:00:00Z', '--to', '2026-03-02T12:00:00Z'],
      { clock },
    );
    expect(out).toMatchObject({ code: 0 });
    expect(out.out).toMatch(
      /Backfill recorded: tick, 3 slot\(s\) from 2026-03-02 09:00:00\+00:00 to 2026-03-02 11:00:00\+00:00, one after another/,
    );
    const scheduled = (await readLog(join(dir, 'planflow.db'))).filter(
      (e) => e.type === 'occurrence.scheduled' && e.data.occurrence.cause === 'backfill',
    );
    expect(scheduled).toHaveLength(1);

    const run = await planflow(dir, ['run', '--until-idle', '--for', '1min'], { clock });
    expect(run.code).toBe(0);
    const log = await readLog(join(dir, 'planflow.db'));
    const backfilled = log.filter(
      (e) => e.type === 'occurrence.scheduled' && e.data.occurrence.cause === 'backfill',
    );
    expect(backfilled).toHaveLength(3);
    const history = (await planflow(dir, ['history', 'tick'])).out;
    expect(history).toMatch(
      /task\.slotsSkipped\s+Tick\s+\d+ slot\(s\) skipped \(downtime, policy skip\)/,
    );
  });

  it('refuses a range in the future or the wrong way round, and an unknown task, recording nothing', async () => {
    const clock = new TestClock(T0);
    const dir = await project(clock);
    const before = (await readLog(join(dir, 'planflow.db'))).length;
    const future = await planflow(dir, ['backfill', 'tick', '--from', 'now', '--to', '+1h'], {
      clock,
    });
    expect(future.code).toBe(2);
    expect(future.err).toContain('at most now');
    clock.jump(5 * HOUR);
    const reversed = await planflow(
      dir,
      ['backfill', 'tick', '--from', '2026-03-02T11:00:00Z', '--to', '2026-03-02T09:00:00Z'],
      { clock },
    );
    expect(reversed.code).toBe(2);
    expect(reversed.err).toContain('after from');
    const unknown = await planflow(dir, ['backfill', 'nobody', '--from', 'now', '--to', 'now'], {
      clock,
    });
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('no task "nobody"');
    expect(await readLog(join(dir, 'planflow.db'))).toHaveLength(before);
  });

  it('task add and task update take the catch-up and overlap policies, refusing bad ones by flag', async () => {
    const clock = new TestClock(T0);
    const dir = await project(clock);
    const add = await planflow(
      dir,
      ['task', 'add', 'Sync', '--every', '10min', '--catch-up', 'all', '--catch-up-max', '5'],
      { clock },
    );
    expect(add.code).toBe(0);
    const update = await planflow(
      dir,
      ['task', 'update', 'sync', '--catch-up-window', '6h', '--overlap', 'bufferOne'],
      { clock },
    );
    expect(update.code).toBe(0);
    const tasks = (await readLog(join(dir, 'planflow.db'))).filter(
      (e) => e.type === 'task.defined' || e.type === 'task.updated',
    );
    const last = tasks.at(-1)!;
    expect(last.type === 'task.updated' && last.data.task).toMatchObject({
      catchUp: { policy: 'all', maxRuns: 5, windowMs: 6 * HOUR },
      overlap: 'bufferOne',
    });
    const bad = await planflow(dir, ['task', 'update', 'sync', '--overlap', 'sometimes'], {
      clock,
    });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--overlap');
    const badMax = await planflow(
      dir,
      ['task', 'add', 'Other', '--every', '1h', '--catch-up', 'latest', '--catch-up-max', '3'],
      { clock },
    );
    expect(badMax.code).toBe(2);
    expect(badMax.err).toContain('--catch-up-max');
  });
});
