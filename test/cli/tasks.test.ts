import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CalendarConfig, Task } from '../../src/domain/types.js';
import { TestClock } from '../../src/testing/TestClock.js';
import { planflow, readLog, useProjectDirs } from '../helpers/cliHarness.js';

const T0 = Date.parse('2026-03-02T08:00:00.000Z'); // a Monday

describe('planflow CLI › tasks and calendar', () => {
  const newDir = useProjectDirs();

  async function project(clock: TestClock): Promise<string> {
    const dir = newDir();
    expect((await planflow(dir, ['init', '--tz', 'Europe/Berlin'], { clock })).code).toBe(0);
    return dir;
  }

  describe('calendar', () => {
    it('shows the recorded calendar, and changes it with flags', async () => {
      const clock = new TestClock(T0);
      const dir = await project(clock);
      const shown = await planflow(dir, ['calendar']);
      expect(shown.out).toMatch(/Time zone\s+Europe\/Berlin/);
      expect(shown.out).toMatch(/Working hours\s+mon-sun 00:00–24:00/);

      const changed = await planflow(dir, [
        'calendar',
        '--hours',
        'mon-fri=09:00-17:00',
        '--hours',
        'sat=10:00-12:00@late',
        '--slot',
        'morning=09:30',
        '--slot',
        'late=11:00',
        '--max-per-day',
        '5',
        '--holiday',
        '2026-12-25',
      ]);
      expect(changed.code).toBe(0);
      expect(changed.out).toMatch(
        /Working hours\s+mon-fri 09:00–17:00; sat 10:00–12:00 \(slots late\); sun closed/,
      );
      const calendar: CalendarConfig = JSON.parse(
        (await planflow(dir, ['calendar', '--json'])).out,
      );
      expect(calendar).toEqual({
        timeZone: 'Europe/Berlin',
        workingHours: {
          mon: { start: '09:00', end: '17:00' },
          tue: { start: '09:00', end: '17:00' },
          wed: { start: '09:00', end: '17:00' },
          thu: { start: '09:00', end: '17:00' },
          fri: { start: '09:00', end: '17:00' },
          sat: { start: '10:00', end: '12:00', slots: ['late'] },
        },
        slots: [
          { id: 'morning', start: '09:30' },
          { id: 'late', start: '11:00' },
        ],
        maxPerDay: 5,
        holidays: ['2026-12-25'],
      });

      // Flags not given keep their values; `none` and `off` remove.
      await planflow(dir, [
        'calendar',
        '--max-per-day',
        'none',
        '--slot',
        'morning=off',
        '--tz',
        'UTC',
      ]);
      const after: CalendarConfig = JSON.parse((await planflow(dir, ['calendar', '--json'])).out);
      expect(after.maxPerDay).toBeUndefined();
      expect(after.slots).toEqual([{ id: 'late', start: '11:00' }]);
      expect(after.timeZone).toBe('UTC');
      expect(after.holidays).toEqual(['2026-12-25']);
      const configured = (await readLog(join(dir, 'planflow.db'))).filter(
        (e) => e.type === 'calendar.configured',
      );
      expect(configured).toHaveLength(3);
    });
  });

  describe('task add', () => {
    it('turns the flags into a task and plans its first run at the instant of the command', async () => {
      const clock = new TestClock(T0);
      const dir = await project(clock);
      await planflow(dir, ['calendar', '--slot', 'morning=09:30']);
      const add = await planflow(
        dir,
        [
          'task',
          'add',
          'Réunion d’équipe',
          '--at',
          '+15m',
          '--every',
          '1d',
          '--retries',
          '2',
          '--retry-delay',
          '5m',
          '--backoff',
          'exponential',
          '--run',
          'echo hi',
          '--timeout',
          '90s',
          '--slot',
          'morning',
          '--priority',
          'high',
          '--description',
          'weekly sync',
        ],
        { clock },
      );
      expect(add.code).toBe(0);
      expect(add.out).toContain('Added task reunion-d-equipe');
      expect(add.out).toContain('first run 2026-03-02 09:15:00+01:00');
      const [task] = JSON.parse((await planflow(dir, ['task', 'list', '--json'])).out) as {
        task: Task;
      }[];
      expect(task?.task).toEqual({
        id: 'reunion-d-equipe',
        title: 'Réunion d’équipe',
        description: 'weekly sync',
        createdAt: '2026-03-02T08:00:00.000Z',
        startAt: '2026-03-02T08:15:00.000Z',
        recurrence: { kind: 'interval', everyMs: 86_400_000 },
        priority: 'high',
        preferredSlots: ['morning'],
        retry: { maxRetries: 2, delayMs: 300_000, backoff: 'exponential' },
        handler: 'shell',
        timeoutMs: 90_000,
        payload: { run: 'echo hi' },
      });
    });

    it('makes default ids unique, also against removed tasks, so histories never mix', async () => {
      const clock = new TestClock(T0);
      const dir = await project(clock);
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const out = (await planflow(dir, ['task', 'add', 'Backup', '--every', '1h'], { clock }))
          .out;
        ids.push(/Added task (\S+)/.exec(out)?.[1] ?? '');
      }
      expect(ids).toEqual(['backup', 'backup-2']);
      const rm = await planflow(dir, ['task', 'rm', 'backup-2']);
      expect(rm.out).toContain('Removed task backup-2 (1 pending run(s) cancelled)');
      const third = await planflow(dir, ['task', 'add', 'Backup', '--every', '1h'], { clock });
      expect(third.out).toContain('Added task backup-3');
    });

    it('plans `--at now --every` for now, not one interval later', async () => {
      const clock = new TestClock(T0);
      const dir = await project(clock);
      const add = await planflow(dir, ['task', 'add', 'Tick', '--at', 'now', '--every', '1h'], {
        clock,
      });
      expect(add.out).toContain('first run 2026-03-02 09:00:00+01:00');
    });

    it('warns when the calendar rejects the first run, and still records the task', async () => {
      const clock = new TestClock(T0);
      const dir = await project(clock);
      await planflow(dir, ['calendar', '--hours', 'mon-fri=09:00-17:00']);
      const add = await planflow(
        dir,
        ['task', 'add', 'Night', '--pin', '2026-03-02T23:00:00+01:00'],
        {
          clock,
        },
      );
      expect(add.code).toBe(0);
      expect(add.err).toMatch(/warning: no new run could be planned for "night"/);
      const list = await planflow(dir, ['task', 'list']);
      expect(list.out).toMatch(/night\s+Night\s+pinned 2026-03-02 23:00:00\+01:00\s+-\s+-/);
    });
  });

  describe('task rm', () => {
    it('removes the task and cancels its pending runs; its history stays', async () => {
      const clock = new TestClock(T0);
      const dir = await project(clock);
      await planflow(dir, ['task', 'add', 'Gone', '--every', '1h'], { clock });
      expect((await planflow(dir, ['task', 'rm', 'gone'])).code).toBe(0);
      expect((await planflow(dir, ['task', 'list'])).out).toContain('No tasks yet');
      const history = await planflow(dir, ['history', 'gone']);
      expect(history.code).toBe(0);
      expect(history.out).toMatch(/task\.removed\s+gone\s+removed/);
      expect(history.out).toMatch(
        /occurrence\.cancelled\s+gone\s+o_[0-9a-f]{8}\s+cancelled \(task-removed\)/,
      );
    });
  });
});
