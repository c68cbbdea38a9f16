import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TestClock } from '../../src/testing/TestClock.js';
import { planflow, readLog, useProjectDirs } from '../helpers/cliHarness.js';

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
});
