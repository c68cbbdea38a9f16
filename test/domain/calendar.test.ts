import { describe, expect, it } from 'vitest';
import type { ValidationError } from '../../src/domain/errors.js';
import { parseCalendar } from '../../src/domain/validateCalendar.js';
import { rejection as rejectionOf } from '../helpers/rejection.js';

const CODE = 'planflow:invalid-calendar';

function rejection(input: unknown, field: string): ValidationError {
  const error = rejectionOf(() => parseCalendar(input), CODE, field);
  expect(error.message.startsWith('Calendar: ')).toBe(true);
  return error;
}

const slots = [
  { id: 'morning', start: '09:30' },
  { id: 'late', start: '18:00' },
];

describe('parseCalendar', () => {
  it('canonicalises the zone, sorts and de-duplicates holidays, and freezes everything', () => {
    const input = {
      timeZone: 'america/new_york',
      workingHours: { mon: { start: '09:00', end: '24:00', slots: ['morning'] } },
      slots,
      maxPerDay: 3,
      holidays: ['2026-12-25', '2026-07-04', '2026-12-25'],
    };
    const snapshot = structuredClone(input);
    const calendar = parseCalendar(input);
    expect(calendar.timeZone).toBe('America/New_York');
    expect(calendar.holidays).toEqual(['2026-07-04', '2026-12-25']);
    expect(calendar.workingHours.mon).toEqual({ start: '09:00', end: '24:00', slots: ['morning'] });
    expect(Object.isFrozen(calendar.workingHours.mon?.slots)).toBe(true);
    expect(Object.isFrozen(calendar.slots[0])).toBe(true);
    expect(input).toEqual(snapshot);
  });

  it('opens every day all day when workingHours is absent', () => {
    const calendar = parseCalendar({ timeZone: 'UTC' });
    expect(Object.keys(calendar.workingHours)).toHaveLength(7);
    expect(calendar.workingHours.sun).toEqual({ start: '00:00', end: '24:00' });
    expect(calendar.slots).toEqual([]);
  });

  it('leaves a weekday out of explicit workingHours closed', () => {
    const calendar = parseCalendar({ timeZone: 'UTC', workingHours: {} });
    expect(calendar.workingHours.mon).toBeUndefined();
  });

  describe('rejects', () => {
    it('an unknown IANA time zone', () => {
      expect(rejection({ timeZone: 'Mars/Olympus' }, 'timeZone').message).toContain('Mars/Olympus');
    });

    it('a missing time zone', () => {
      rejection({ workingHours: {} }, 'timeZone');
    });

    it('working-hours end equal to start', () => {
      rejection(
        { timeZone: 'UTC', workingHours: { mon: { start: '09:00', end: '09:00' } } },
        'workingHours.mon.end',
      );
    });

    it('working-hours end before start', () => {
      const e = rejection(
        { timeZone: 'UTC', workingHours: { tue: { start: '17:00', end: '09:00' } } },
        'workingHours.tue.end',
      );
      expect(e.message).toContain('"09:00"');
    });

    it('an unknown weekday key, listing the valid ones', () => {
      const e = rejection(
        { timeZone: 'UTC', workingHours: { monday: { start: '09:00', end: '17:00' } } },
        'workingHours.monday',
      );
      expect(e.message).toContain('mon, tue, wed, thu, fri, sat, sun');
    });

    it('a working-hours slot that is not in the slot pool', () => {
      const e = rejection(
        {
          timeZone: 'UTC',
          workingHours: { mon: { start: '09:00', end: '17:00', slots: ['noon'] } },
          slots,
        },
        'workingHours.mon.slots[0]',
      );
      expect(e.message).toContain('"noon"');
      expect(e.message).toContain('"morning"');
    });

    it('a working-hours slot that starts outside that day', () => {
      rejection(
        {
          timeZone: 'UTC',
          workingHours: { mon: { start: '09:00', end: '17:00', slots: ['late'] } },
          slots,
        },
        'workingHours.mon.slots[0]',
      );
    });

    it('duplicate slot ids', () => {
      rejection(
        {
          timeZone: 'UTC',
          slots: [
            { id: 'a', start: '09:00' },
            { id: 'a', start: '10:00' },
          ],
        },
        'slots[1].id',
      );
    });

    it.each(['9:30', '24:00', '12:60', '0930', ' 09:30', 930])(
      'a bad "HH:MM" start (%s)',
      (start) => {
        const e = rejection({ timeZone: 'UTC', slots: [{ id: 'a', start }] }, 'slots[0].start');
        expect(e.message).toContain('"HH:MM"');
      },
    );

    it('a bad "HH:MM" in working hours', () => {
      rejection(
        { timeZone: 'UTC', workingHours: { fri: { start: '08:00', end: '25:00' } } },
        'workingHours.fri.end',
      );
    });

    it('a slot id that is blank', () => {
      rejection({ timeZone: 'UTC', slots: [{ id: ' ', start: '09:00' }] }, 'slots[0].id');
    });

    it('a cap below one', () => {
      rejection({ timeZone: 'UTC', maxPerDay: 0 }, 'maxPerDay');
    });

    it('a holiday that does not exist', () => {
      rejection({ timeZone: 'UTC', holidays: ['2026-02-30'] }, 'holidays[0]');
    });
  });
});
