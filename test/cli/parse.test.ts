import { describe, expect, it } from 'vitest';
import { describeWeek } from '../../src/cli/format/calendarView.js';
import { csvField, toCsvRow } from '../../src/cli/format/exportFormats.js';
import { createStyle, visibleLength } from '../../src/cli/format/style.js';
import { renderTable } from '../../src/cli/format/table.js';
import { formatInstant } from '../../src/cli/format/time.js';
import { wantsColour } from '../../src/cli/io.js';
import { applyCalendarFlags, parseWeekdays } from '../../src/cli/parse/calendarFlags.js';
import { formatDuration, parseDuration } from '../../src/cli/parse/duration.js';
import { parseCliInstant } from '../../src/cli/parse/instant.js';
import { slugify, uniqueId } from '../../src/cli/parse/slug.js';
import { isPlanflowError } from '../../src/domain/errors.js';
import { parseCalendar } from '../../src/domain/validateCalendar.js';
import type { StoredEvent } from '../../src/log/events.js';

const NOW = Date.parse('2026-03-02T08:00:00.000Z');

describe('CLI parsing', () => {
  describe('parseDuration', () => {
    it.each([
      ['250ms', 250],
      ['90s', 90_000],
      ['15m', 900_000],
      ['2h', 7_200_000],
      ['1d', 86_400_000],
      ['1h30m', 5_400_000],
      ['1.5h', 5_400_000],
      [' 2H ', 7_200_000],
      ['5min', 300_000],
      ['5 m', 300_000],
      ['2 hours', 7_200_000],
      ['1 hour 30 minutes', 5_400_000],
      ['1 hour and 30 mins', 5_400_000],
      ['1w', 604_800_000],
      ['15s', 15_000],
    ])('reads %j as %d ms', (text, ms) => {
      expect(parseDuration(text, '--every')).toBe(ms);
    });

    it.each(['', 'often', '-5m', '1.5ms', '5m foo', 'h', '3651d'])(
      'refuses %j, naming the flag',
      (text) => {
        expect(() => parseDuration(text, '--every')).toThrow(/--every must be a duration/);
        try {
          parseDuration(text, '--every');
        } catch (error) {
          expect(isPlanflowError(error, 'planflow:invalid-input')).toBe(true);
        }
      },
    );

    it('formats for people with at most two units', () => {
      expect([850, 12_000, 90_000, 7_200_000, 100_800_000, 93_784_000].map(formatDuration)).toEqual(
        ['850ms', '12s', '1m30s', '2h', '1d4h', '1d2h'],
      );
    });
  });

  describe('parseCliInstant', () => {
    it('reads now, relative times and ISO-8601 with an offset', () => {
      expect(parseCliInstant('now', '--at', NOW)).toBe('2026-03-02T08:00:00.000Z');
      expect(parseCliInstant('+15m', '--at', NOW)).toBe('2026-03-02T08:15:00.000Z');
      expect(parseCliInstant('+1d12h', '--at', NOW)).toBe('2026-03-03T20:00:00.000Z');
      expect(parseCliInstant('2026-03-29T09:30:00+02:00', '--at', NOW)).toBe(
        '2026-03-29T07:30:00.000Z',
      );
    });

    it.each(['tomorrow', '2026-03-29T09:30', '+soon', '2026-02-30T09:00:00Z'])(
      'refuses %j',
      (text) => {
        expect(() => parseCliInstant(text, '--pin', NOW)).toThrow(
          new RegExp(`--pin must be "now".*got ${JSON.stringify(text).replace('+', '\\+')}`),
        );
      },
    );
  });

  describe('calendar flags', () => {
    it('reads weekday ranges, lists and wrapping ranges', () => {
      expect(parseWeekdays('mon-fri', '--hours')).toEqual(['mon', 'tue', 'wed', 'thu', 'fri']);
      expect(parseWeekdays('sat,sun', '--hours')).toEqual(['sat', 'sun']);
      expect(parseWeekdays('fri-mon', '--hours')).toEqual(['mon', 'fri', 'sat', 'sun']);
      expect(parseWeekdays('all', '--hours')).toHaveLength(7);
      expect(() => parseWeekdays('monday', '--hours')).toThrow(
        /--hours days must be weekday names/,
      );
    });

    it('lets the --hours given replace the whole week, later flags winning', () => {
      const current = parseCalendar({ timeZone: 'UTC' });
      const next = applyCalendarFlags(current, {
        hours: ['mon-fri=09:00-17:00', 'fri=09:00-12:00', 'wed=off'],
      });
      expect(parseCalendar(next).workingHours).toEqual({
        mon: { start: '09:00', end: '17:00' },
        tue: { start: '09:00', end: '17:00' },
        thu: { start: '09:00', end: '17:00' },
        fri: { start: '09:00', end: '12:00' },
      });
      expect(current.workingHours.sat).toEqual({ start: '00:00', end: '24:00' });
    });

    it('refuses malformed flags before any value is checked', () => {
      const current = parseCalendar({ timeZone: 'UTC' });
      expect(() => applyCalendarFlags(current, { hours: ['mon-fri 09-17'] })).toThrow(
        /--hours must look like/,
      );
      expect(() => applyCalendarFlags(current, { slot: ['09:30'] })).toThrow(
        /--slot must look like/,
      );
      expect(() => applyCalendarFlags(current, { maxPerDay: 'lots' })).toThrow(
        /--max-per-day must be/,
      );
    });

    it('describes a week with equal days grouped', () => {
      const calendar = parseCalendar({
        timeZone: 'UTC',
        workingHours: {
          mon: { start: '09:00', end: '17:00' },
          tue: { start: '09:00', end: '17:00' },
          wed: { start: '09:00', end: '17:00' },
          fri: { start: '09:00', end: '17:00' },
        },
      });
      expect(describeWeek(calendar)).toBe('mon-wed,fri 09:00–17:00; thu,sat,sun closed');
    });
  });

  describe('ids', () => {
    it('slugs titles and makes them unique', async () => {
      expect(slugify('Back up the DB!')).toBe('back-up-the-db');
      expect(slugify('  Café crème ')).toBe('cafe-creme');
      expect(slugify('???')).toBe('task');
      expect(slugify('x'.repeat(100))).toHaveLength(48);
      const taken = new Set(['a', 'a-2']);
      await expect(uniqueId('a', (id) => taken.has(id))).resolves.toBe('a-3');
      await expect(uniqueId('b', (id) => taken.has(id))).resolves.toBe('b');
    });
  });

  describe('output', () => {
    it('quotes every CSV field, doubling quotes and escaping line breaks', () => {
      expect(csvField('plain')).toBe('"plain"');
      expect(csvField('a,b')).toBe('"a,b"');
      expect(csvField('say "hi"')).toBe('"say ""hi"""');
      expect(csvField('two\nlines')).toBe('"two\\nlines"');
      const event = {
        seq: 7,
        id: 'x',
        time: 't',
        type: 'task.removed',
        stream: 'task:a',
        schemaVersion: 1,
        prevHash: 'p',
        hash: 'h',
        data: { taskId: 'a,b' },
      } as unknown as StoredEvent;
      expect(toCsvRow(event)).toBe(
        '"7","x","t","task.removed","task:a","1","p","h","{""taskId"":""a,b""}"\r\n',
      );
    });

    it('shows instants on the zone clock with the offset', () => {
      expect(formatInstant('2026-03-29T07:30:00.000Z', 'Europe/Berlin')).toBe(
        '2026-03-29 09:30:00+02:00',
      );
      expect(formatInstant('2026-03-01T07:30:00.000Z', 'America/New_York')).toBe(
        '2026-03-01 02:30:00-05:00',
      );
      expect(formatInstant('2026-03-01T07:30:00.000Z', 'Asia/Kolkata')).toBe(
        '2026-03-01 13:00:00+05:30',
      );
    });

    it('colours only when asked, and aligns tables on the visible width', () => {
      expect(createStyle(false).red('x')).toBe('x');
      const red = createStyle(true).red('x');
      expect(red).toBe('\u001b[31mx\u001b[39m');
      expect(visibleLength(red)).toBe(1);
      expect(
        renderTable(
          ['A', 'B'],
          [
            [red, 'y'],
            ['long', 'z'],
          ],
        ),
      ).toBe(`A     B\n${red}     y\nlong  z\n`);
      expect(wantsColour({ isTTY: true }, {})).toBe(true);
      expect(wantsColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
      expect(wantsColour({ isTTY: false }, {})).toBe(false);
      expect(wantsColour({}, {})).toBe(false);
    });
  });
});
