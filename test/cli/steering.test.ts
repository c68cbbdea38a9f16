import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TestClock } from '../../src/testing/TestClock.js';
import { nodeExit, planflow, readLog, useProjectDirs } from '../helpers/cliHarness.js';

// The CLI's steering commands: pause and resume a task, update it, trigger it by hand and list
// its upcoming runs.

const T0 = Date.parse('2026-03-02T08:00:00.000Z'); // a Monday

describe('planflow CLI › steering', () => {
  const newDir = useProjectDirs();

  async function project(clock: TestClock): Promise<string> {
    const dir = newDir();
    expect((await planflow(dir, ['init', '--tz', 'UTC'], { clock })).code).toBe(0);
    return dir;
  }

  describe('task pause and task resume', () => {
    it('record task.paused and task.resumed, and say so in task list and history', async () => {
      const clock = new TestClock(T0);
      const dir = await project(clock);
      await planflow(dir, ['task', 'add', 'Tick', '--every', '1h'], { clock });

      const paused = await planflow(dir, ['task', 'pause', 'tick'], { clock });
      expect(paused).toMatchObject({ code: 0, out: 'Paused task tick\n' });
      expect((await planflow(dir, ['task', 'list'])).out).toMatch(
        /tick\s+Tick\s+every 1h\s+.*\(paused\)/,
      );
      const again = await planflow(dir, ['task', 'pause', 'tick'], { clock });
      expect(again.out).toContain('already paused; nothing recorded');

      const resumed = await planflow(dir, ['task', 'resume', 'tick'], { clock });
      expect(resumed).toMatchObject({ code: 0, out: 'Resumed task tick\n' });
      expect((await planflow(dir, ['task', 'list'])).out).not.toContain('(paused)');
      const history = (await planflow(dir, ['history', 'tick'])).out;
      expect(history).toMatch(/task\.paused\s+Tick\s+paused/);
      expect(history).toMatch(/task\.resumed\s+Tick\s+resumed/);
      const types = (await readLog(join(dir, 'planflow.db'))).map((e) => e.type);
      expect(types.filter((t) => t.startsWith('task.'))).toEqual([
        'task.defined',
        'task.paused',
        'task.resumed',
      ]);
    });

    it('refuses an unknown task with exit code 2 and the way out', async () => {
      const clock = new TestClock(T0);
      const dir = await project(clock);
      const result = await planflow(dir, ['task', 'pause', 'nope'], { clock });
      expect(result.code).toBe(2);
      expect(result.err).toContain('task pause: no task "nope"; see planflow task list');
    });
  });

  describe('next', () => {
    it('lists the next runs on the calendar zone clock, and records nothing', async () => {
      const clock = new TestClock(T0);
      const dir = await project(clock);
      await planflow(dir, ['calendar', '--hours', 'mon-fri=08:00-18:00', '--max-per-day', '2']);
      await planflow(dir, ['task', 'add', 'Tick', '--at', 'now', '--every', '4h'], { clock });
      const before = await readLog(join(dir, 'planflow.db'));

      const next = await planflow(dir, ['next', 'tick', '3'], { clock });

      expect(next.code).toBe(0);
      expect(next.out.split('\n').slice(0, 4)).toEqual([
        expect.stringMatching(/^#\s+WHEN\s+SLOT\s+OCCURRENCE\s+NOTE$/),
        expect.stringMatching(/^1\s+2026-03-02 08:00:00\+00:00\s+-\s+o_[0-9a-f]{8}$/),
        expect.stringMatching(/^2\s+2026-03-02 12:00:00\+00:00/),
        // Two a day at most: Tuesday's first due time in hours, 08:00.
        expect.stringMatching(/^3\s+2026-03-03 08:00:00\+00:00/),
      ]);
      expect(await readLog(join(dir, 'planflow.db'))).toEqual(before);
      const json = JSON.parse((await planflow(dir, ['next', 'tick', '--json'], { clock })).out);
      expect(json).toHaveLength(5);
      const from = await planflow(dir, ['next', 'tick', '1', '--from', '2026-03-04T09:00:00Z'], {
        clock,
      });
      expect(from.out).toMatch(/^1\s+2026-03-04 12:00:00\+00:00/m);
    });

    it('refuses a bad count before opening the log', async () => {
      const clock = new TestClock(T0);
      const dir = await project(clock);
      for (const n of ['0', '1001', 'x', '2.5']) {
        const result = await planflow(dir, ['next', 'tick', n], { clock });
        expect(result.code).toBe(2);
        expect(result.err).toContain('next: n must be a whole number from 1 to 1000');
      }
      expect((await planflow(dir, ['next', 'nope'], { clock })).err).toContain(
        'next: no task "nope"',
      );
    });
  });

  describe('calendar decisions', () => {
    it('prints where a run was asked for and why it moved: task add, history and next', async () => {
      const clock = new TestClock(T0);
      const dir = await project(clock);
      await planflow(dir, ['task', 'add', 'First', '--cron', '0 9 * * *'], { clock });

      const add = await planflow(dir, ['task', 'add', 'Second', '--cron', '0 9 * * *'], { clock });

      expect(add.out).toContain('first run 2026-03-02 09:01:00+00:00 (o_');
      expect(add.out).toContain('moved from 2026-03-02 09:00:00+00:00: instant-taken');
      const history = (await planflow(dir, ['history', 'second'])).out;
      expect(history).toMatch(
        /occurrence\.scheduled\s+Second\s+o_[0-9a-f]{8}\s+for 2026-03-02 09:01:00\+00:00 \(initial, attempt 0\), moved from 2026-03-02 09:00:00\+00:00: instant-taken/,
      );
      const next = (await planflow(dir, ['next', 'second', '2'], { clock })).out;
      expect(next).toMatch(
        /^1\s+2026-03-02 09:01:00\+00:00\s+-\s+o_[0-9a-f]{8}\s+moved from 2026-03-02 09:00:00\+00:00: instant-taken$/m,
      );
    });
  });

  describe('task update', () => {
    it('changes only the fields given, and re-plans the next run', async () => {
      const clock = new TestClock(T0);
      const dir = await project(clock);
      await planflow(
        dir,
        ['task', 'add', 'Report', '--cron', '0 9 * * *', '--tz', 'Europe/Berlin', '--retries', '2'],
        { clock },
      );

      const update = await planflow(
        dir,
        [
          'task',
          'update',
          'report',
          '--cron',
          '0 10 * * *',
          '--retry-delay',
          '5min',
          '--jitter',
          '1min',
        ],
        { clock },
      );

      expect(update.code).toBe(0);
      // 10:00 in Berlin is 09:00 UTC; the jitter delays it by under a minute.
      expect(update.out).toMatch(
        /Updated task report\n {2}next run 2026-03-02 09:00:\d\d\+00:00 \(o_[0-9a-f]{8}\), moved from 2026-03-02 09:00:00\+00:00: jitter\n/,
      );
      const [row] = JSON.parse((await planflow(dir, ['task', 'list', '--json'])).out) as {
        task: Record<string, unknown>;
      }[];
      expect(row?.task).toMatchObject({
        recurrence: { kind: 'cron', cron: '0 10 * * *', timeZone: 'Europe/Berlin' },
        retry: { maxRetries: 2, delayMs: 300_000, backoff: 'fixed' },
        jitterMs: 60_000,
      });
      const again = await planflow(dir, ['task', 'update', 'report', '--retries', '2'], { clock });
      expect(again.out).toContain('already has that definition; nothing recorded');
      const off = await planflow(
        dir,
        ['task', 'update', 'report', '--jitter', '0', '--ignore-calendar'],
        { clock },
      );
      expect(off.code).toBe(0);
      const [after] = JSON.parse((await planflow(dir, ['task', 'list', '--json'])).out) as {
        task: Record<string, unknown>;
      }[];
      expect(after?.task).not.toHaveProperty('jitterMs');
      expect(after?.task).toMatchObject({ calendar: 'ignore' });
    });

    it('refuses no change, a bad value and an unknown task, recording nothing', async () => {
      const clock = new TestClock(T0);
      const dir = await project(clock);
      await planflow(dir, ['task', 'add', 'Tick', '--every', '1h'], { clock });
      const before = await readLog(join(dir, 'planflow.db'));

      const none = await planflow(dir, ['task', 'update', 'tick'], { clock });
      expect(none.code).toBe(2);
      expect(none.err).toContain('task update: give at least one change');
      const bad = await planflow(dir, ['task', 'update', 'tick', '--retries', '-1'], { clock });
      expect(bad.code).toBe(2);
      const jitter = await planflow(dir, ['task', 'update', 'tick', '--jitter', '2h'], { clock });
      expect(jitter.err).toContain(
        'task update --jitter: Task "tick": jitterMs must be an integer between 0 and 3600000',
      );
      const both = await planflow(
        dir,
        ['task', 'update', 'tick', '--ignore-calendar', '--apply-calendar'],
        { clock },
      );
      expect(both.code).toBe(2);
      const unknown = await planflow(dir, ['task', 'update', 'nope', '--title', 'x'], { clock });
      expect(unknown.err).toContain('task update: no task "nope"');
      expect(await readLog(join(dir, 'planflow.db'))).toEqual(before);
    });
  });

  describe('trigger', () => {
    it("runs a task's approved command now and prints what was recorded", async () => {
      const clock = new TestClock(T0);
      const dir = await project(clock);
      await planflow(
        dir,
        ['task', 'add', 'Job', '--every', '1d', '--at', '+1h', '--run', nodeExit(0)],
        { clock },
      );

      const run = await planflow(dir, ['trigger', 'job']);

      expect(run.code).toBe(0);
      expect(run.out).toMatch(
        /occurrence\.triggered\s+Job\s+o_[0-9a-f]{8}\s+attempt 0(, \S+ late)?, by hand/,
      );
      expect(run.out).toMatch(/occurrence\.completed\s+Job/);
      expect(run.err).toMatch(/^Ran job \(o_[0-9a-f]{8}\) by hand\n$/);
      const types = (await readLog(join(dir, 'planflow.db'))).map((e) => e.type);
      expect(types.filter((t) => t === 'occurrence.triggered')).toHaveLength(1);
    });

    it('fires a pending occurrence by the start of its id; a failed run exits 1', async () => {
      const clock = new TestClock(T0);
      const dir = await project(clock);
      await planflow(dir, ['task', 'add', 'Bad', '--at', '+1h', '--run', nodeExit(4)], { clock });
      const next = (await planflow(dir, ['next', 'bad', '--json'], { clock })).out;
      const [pending] = JSON.parse(next) as { id: string }[];

      const run = await planflow(dir, ['trigger', pending!.id.slice(0, 8)]);

      expect(run.code).toBe(1);
      expect(run.err).toContain('Failed: bad');
      const execution = (await readLog(join(dir, 'planflow.db'))).find(
        (e) => e.type === 'occurrence.failed',
      );
      expect(execution?.data).toMatchObject({ occurrenceId: pending!.id });
    });

    it('refuses an unapproved command with exit code 3 and runs nothing', async () => {
      const clock = new TestClock(T0);
      const dir = await project(clock);
      await planflow(dir, ['task', 'add', 'Job', '--at', '+1h', '--run', nodeExit(0)], { clock });
      rmSync(join(dir, 'approvals.json'));

      const run = await planflow(dir, ['trigger', 'job']);

      expect(run.code).toBe(3);
      expect(run.err).toContain('has not approved');
      const types = (await readLog(join(dir, 'planflow.db'))).map((e) => e.type);
      expect(types).not.toContain('occurrence.triggered');
      expect((await planflow(dir, ['trigger', 'nope'])).code).toBe(2);
    });
  });
});
