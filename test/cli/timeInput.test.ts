import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/cli/parse/duration.js';
import { parseCliInstant } from '../../src/cli/parse/instant.js';
import { isPlanflowError } from '../../src/domain/errors.js';
import type { Task } from '../../src/domain/types.js';
import { TestClock } from '../../src/testing/TestClock.js';
import { planflow, useProjectDirs } from '../helpers/cliHarness.js';

/** Saturday 2026-03-28 22:30 UTC: 23:30 in Berlin, the night its clocks go forward. */
const NOW = Date.parse('2026-03-28T22:30:00.000Z');

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(isPlanflowError(error, 'planflow:invalid-input')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('CLI time input', () => {
  describe('durations need a unit', () => {
    it('refuses a bare number, offering the units it could mean', () => {
      expect(refusal(() => parseDuration('15', '--every'))).toBe(
        '--every needs a unit: "15" could be seconds, minutes or hours; write 15s, 15min or 15h',
      );
    });

    it('refuses months and years, which have no fixed length', () => {
      expect(refusal(() => parseDuration('1 month', '--every'))).toContain(
        'use --cron or --rrule for calendar dates',
      );
      expect(refusal(() => parseDuration('2y', '--every'))).toContain('unknown unit "y"');
    });
  });

  describe('parseCliInstant', () => {
    it('refuses +15, saying which units to add', () => {
      expect(refusal(() => parseCliInstant('+15', '--at', NOW))).toBe(
        '--at "+15" needs a unit: write +15s, +15min or +15h',
      );
    });

    it.each([
      ['+15s', '2026-03-28T22:30:15.000Z'],
      ['+5min', '2026-03-28T22:35:00.000Z'],
      ['+2 hours', '2026-03-29T00:30:00.000Z'],
      ['in 2 hours', '2026-03-29T00:30:00.000Z'],
    ])('reads %j from the clock now', (text, expected) => {
      expect(parseCliInstant(text, '--at', NOW, 'Europe/Berlin')).toBe(expected);
    });

    it.each([
      // Berlin's "tomorrow" is the 29th, in summer time (+02:00) though now is +01:00.
      ['Europe/Berlin', 'tomorrow 09:00', '2026-03-29T07:00:00.000Z'],
      // In New York it is 18:30 on the 28th: tomorrow is the 29th, EDT (-04:00).
      ['America/New_York', 'tomorrow 09:00', '2026-03-29T13:00:00.000Z'],
      // In Lord Howe it is already 09:30 on the 29th (+11:00): tomorrow is the 30th.
      ['Australia/Lord_Howe', 'tomorrow 09:00', '2026-03-29T22:00:00.000Z'],
      // A time alone is its next occurrence on the zone's clock.
      ['Europe/Berlin', '09:00', '2026-03-29T07:00:00.000Z'],
      ['Europe/Berlin', 'next monday 9am', '2026-03-30T07:00:00.000Z'],
      ['Europe/Berlin', 'march 30 10:30', '2026-03-30T08:30:00.000Z'],
      // 02:30 does not exist in Berlin on the 29th: moved on by the gap, as the calendar does.
      ['Europe/Berlin', 'tomorrow 02:30', '2026-03-29T01:30:00.000Z'],
      // A zone in the text wins over the calendar's.
      ['Europe/Berlin', 'tomorrow 9am EST', '2026-03-29T14:00:00.000Z'],
    ])('in %s reads %j on that zone clock', (zone, text, expected) => {
      expect(parseCliInstant(text, '--at', NOW, zone)).toBe(expected);
    });

    it.each([
      ['tomorrow', 'give the time of day too'],
      ['tomorrow 9:00 foo', 'only "tomorrow 9:00" reads as a time'],
      ['soon', 'no date or time could be read in it'],
      ['2026-03-29T09:30', 'add Z or an offset'],
    ])('refuses %j (%s)', (text, reason) => {
      const message = refusal(() => parseCliInstant(text, '--at', NOW, 'Europe/Berlin'));
      expect(message).toContain(`got ${JSON.stringify(text)}`);
      expect(message).toContain(reason);
    });
  });

  describe('planflow task add', () => {
    const newDir = useProjectDirs();

    async function project(clock: TestClock): Promise<string> {
      const dir = newDir();
      expect((await planflow(dir, ['init', '--tz', 'Europe/Berlin'], { clock })).code).toBe(0);
      return dir;
    }

    async function tasks(dir: string): Promise<Task[]> {
      const rows = JSON.parse((await planflow(dir, ['task', 'list', '--json'])).out) as {
        task: Task;
      }[];
      return rows.map((r) => r.task);
    }

    it('refuses --at +15 with the fix and records nothing', async () => {
      const clock = new TestClock(NOW);
      const dir = await project(clock);
      const add = await planflow(dir, ['task', 'add', 'X', '--at', '+15'], { clock });
      expect(add.code).toBe(2);
      expect(add.err).toContain('--at "+15" needs a unit: write +15s, +15min or +15h');
      expect(await tasks(dir)).toEqual([]);
    });

    it('reads --at "tomorrow 09:00" on the calendar zone clock, or on --tz', async () => {
      const clock = new TestClock(NOW);
      const dir = await project(clock);
      const berlin = await planflow(dir, ['task', 'add', 'B', '--at', 'tomorrow 09:00'], {
        clock,
      });
      expect(berlin.code).toBe(0);
      expect(berlin.out).toContain('first run 2026-03-29 09:00:00+02:00');
      const york = await planflow(
        dir,
        ['task', 'add', 'N', '--at', 'tomorrow 09:00', '--tz', 'America/New_York'],
        { clock },
      );
      expect(york.code).toBe(0);
      expect((await tasks(dir)).map((t) => [t.id, t.startAt])).toEqual([
        ['b', '2026-03-29T07:00:00.000Z'],
        ['n', '2026-03-29T13:00:00.000Z'],
      ]);
    });

    it('refuses a past --at unless --allow-past', async () => {
      const clock = new TestClock(NOW);
      const dir = await project(clock);
      const past = await planflow(dir, ['task', 'add', 'P', '--at', 'today 09:00'], { clock });
      expect(past.code).toBe(2);
      expect(past.err).toContain(
        '--at "today 09:00" is in the past (2026-03-28T08:00:00.000Z, now is 2026-03-28T22:30:00.000Z, zone Europe/Berlin); give a later time, or add --allow-past to mean it',
      );
      const iso = await planflow(dir, ['task', 'add', 'P', '--at', '2026-03-28T22:29:59Z'], {
        clock,
      });
      expect(iso.code).toBe(2);
      expect(iso.err).toContain('is in the past');
      expect(await tasks(dir)).toEqual([]);

      const allowed = await planflow(
        dir,
        ['task', 'add', 'P', '--at', 'today 09:00', '--allow-past'],
        { clock },
      );
      expect(allowed.code).toBe(0);
      expect((await tasks(dir)).map((t) => t.startAt)).toEqual(['2026-03-28T08:00:00.000Z']);
    });

    it('accepts --at now, which is never in the past', async () => {
      const clock = new TestClock(NOW);
      const dir = await project(clock);
      expect((await planflow(dir, ['task', 'add', 'Now', '--at', 'now'], { clock })).code).toBe(0);
    });

    it('accepts --every 5min and "2 hours"', async () => {
      const clock = new TestClock(NOW);
      const dir = await project(clock);
      expect((await planflow(dir, ['task', 'add', 'A', '--every', '5min'], { clock })).code).toBe(
        0,
      );
      expect(
        (await planflow(dir, ['task', 'add', 'B', '--every', '2 hours'], { clock })).code,
      ).toBe(0);
      expect((await tasks(dir)).map((t) => t.recurrence)).toEqual([
        { kind: 'interval', everyMs: 300_000 },
        { kind: 'interval', everyMs: 7_200_000 },
      ]);
    });

    it('adds an --rrule task, lists it and plans its first instance', async () => {
      const clock = new TestClock(NOW);
      const dir = await project(clock);
      const add = await planflow(
        dir,
        [
          'task',
          'add',
          'Standup',
          '--rrule',
          'DTSTART;TZID=Europe/Berlin:20260302T093000 RRULE:FREQ=WEEKLY;BYDAY=MO,WE',
        ],
        { clock },
      );
      expect(add.code).toBe(0);
      expect(add.out).toContain('first run 2026-03-30 09:30:00+02:00');
      const list = await planflow(dir, ['task', 'list']);
      expect(list.out).toContain(
        'rrule "DTSTART;TZID=Europe/Berlin:20260302T093000 RRULE:FREQ=WEEKLY;BYDAY=MO,WE"',
      );
    });

    it('refuses a bad --rrule naming the flag, and --tz beside --rrule', async () => {
      const clock = new TestClock(NOW);
      const dir = await project(clock);
      const bad = await planflow(
        dir,
        ['task', 'add', 'X', '--rrule', 'DTSTART:20260302T093000 RRULE:FREQ=WEEKLY'],
        { clock },
      );
      expect(bad.code).toBe(2);
      expect(bad.err).toContain('task add --rrule: Task "x": recurrence.rrule must be');
      expect(bad.err).toContain('without TZID or Z');
      const tz = await planflow(
        dir,
        [
          'task',
          'add',
          'X',
          '--rrule',
          'DTSTART:20260302T093000Z RRULE:FREQ=WEEKLY',
          '--tz',
          'UTC',
        ],
        { clock },
      );
      expect(tz.code).toBe(2);
      expect(tz.err).toContain('--rrule carries its own zone in DTSTART');
      const both = await planflow(
        dir,
        ['task', 'add', 'X', '--rrule', 'DTSTART:20260302T093000Z FREQ=DAILY', '--every', '1h'],
        { clock },
      );
      expect(both.err).toContain('give one of --every, --cron or --rrule');
      expect(await tasks(dir)).toEqual([]);
    });
  });
});
