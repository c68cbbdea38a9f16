import { describe, expect, it } from 'vitest';
import { PlanflowError } from '../../src/domain/errors.js';
import { parseRecurrence } from '../../src/domain/validateRecurrence.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { applyTaskChanges } from '../../src/domain/validateTaskChanges.js';
import { rejection } from '../helpers/rejection.js';

const CODE = 'planflow:invalid-task';
const refuse = (rrule: unknown) => rejection(() => parseRecurrence({ rrule }), CODE, 'rrule');

describe('parseRecurrence({ rrule })', () => {
  it('accepts a DTSTART in an IANA zone and returns the rule in normal form', () => {
    expect(
      parseRecurrence({
        rrule:
          '  dtstart;tzid=america/new_york:20260105T090000   rrule:freq=weekly;byday=mo,we;count=4 ',
      }),
    ).toEqual({
      kind: 'rrule',
      rrule: 'DTSTART;TZID=America/New_York:20260105T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4',
    });
  });

  it('accepts the stored form, a UTC DTSTART, a bare FREQ line and EXDATE lines', () => {
    const rrule = 'DTSTART:20260105T080000Z\nFREQ=DAILY\nEXDATE:20260106T080000Z,20260107T080000Z';
    expect(parseRecurrence({ kind: 'rrule', rrule })).toEqual({
      kind: 'rrule',
      rrule: 'DTSTART:20260105T080000Z\nRRULE:FREQ=DAILY\nEXDATE:20260106T080000Z,20260107T080000Z',
    });
  });

  it('is frozen and round-trips: parsing its own output gives the same value', () => {
    const once = parseRecurrence({
      rrule: 'DTSTART;TZID=Europe/Berlin:20260105T090000 RRULE:FREQ=MONTHLY;BYDAY=-1FR',
    });
    expect(Object.isFrozen(once)).toBe(true);
    expect(parseRecurrence(once)).toEqual(once);
  });

  describe('refuses, saying how to fix it', () => {
    it('a rule without DTSTART', () => {
      const e = refuse('RRULE:FREQ=DAILY');
      expect(e).toBeInstanceOf(PlanflowError);
      expect(e.message).toContain('exactly one DTSTART');
      expect(e.message).toContain('DTSTART;TZID=Europe/Berlin:20260105T090000');
    });

    it('a floating DTSTART (no zone), which would follow the machine zone', () => {
      const e = refuse('DTSTART:20260105T090000\nRRULE:FREQ=DAILY');
      expect(e.message).toContain('without TZID or Z');
      expect(e.message).toContain('DTSTART;TZID=');
    });

    it('a DTSTART that is a date only, or not a real date', () => {
      expect(refuse('DTSTART;VALUE=DATE:20260105\nRRULE:FREQ=DAILY').message).toContain(
        'with a time and a zone',
      );
      expect(refuse('DTSTART;TZID=UTC:20260230T090000\nRRULE:FREQ=DAILY').message).toContain(
        '20260230T090000',
      );
    });

    it('an unknown time zone', () => {
      const e = refuse('DTSTART;TZID=Mars/Olympus:20260105T090000\nRRULE:FREQ=DAILY');
      expect(e.message).toContain('IANA time zone such as "Europe/Berlin"');
      expect(e.message).toContain('Mars/Olympus');
    });

    it('an unknown RRULE part, suggesting the nearest known one', () => {
      const e = refuse('DTSTART:20260105T090000Z\nRRULE:FREQ=DAILY;BYHOURS=9');
      expect(e.message).toContain('"BYHOURS=9"');
      expect(e.message).toContain('did you mean "BYHOUR"?');
    });

    it('an RRULE without FREQ, or with a part twice', () => {
      expect(refuse('DTSTART:20260105T090000Z\nRRULE:COUNT=3').message).toContain('with FREQ');
      expect(refuse('DTSTART:20260105T090000Z\nRRULE:FREQ=DAILY;FREQ=WEEKLY').message).toContain(
        'FREQ at most once',
      );
    });

    it('a FREQ or BYDAY value the library does not know, with its reason', () => {
      expect(refuse('DTSTART:20260105T090000Z\nRRULE:FREQ=DAILIES').message).toContain(
        'Invalid FREQ value',
      );
      expect(refuse('DTSTART:20260105T090000Z\nRRULE:FREQ=WEEKLY;BYDAY=XX').message).toContain(
        'Invalid BYDAY value',
      );
    });

    it('COUNT and UNTIL together (RFC 5545 forbids it), or a COUNT below 1', () => {
      expect(
        refuse('DTSTART:20260105T090000Z\nRRULE:FREQ=DAILY;COUNT=2;UNTIL=20270101T000000Z').message,
      ).toContain('remove one of them');
      expect(refuse('DTSTART:20260105T090000Z\nRRULE:FREQ=DAILY;COUNT=-1').message).toContain(
        'COUNT is a whole number ≥ 1',
      );
    });

    it('a local UNTIL (RFC 5545 wants UTC for a zoned DTSTART)', () => {
      const e = refuse(
        'DTSTART;TZID=Europe/Berlin:20260105T090000\nRRULE:FREQ=DAILY;UNTIL=20260110T090000',
      );
      expect(e.message).toContain('UNTIL=20261231T230000Z');
    });

    it('a rule that never occurs', () => {
      expect(
        refuse('DTSTART:20260105T090000Z\nRRULE:FREQ=DAILY;UNTIL=20260101T000000Z').message,
      ).toContain('UNTIL lies after DTSTART');
      expect(
        refuse('DTSTART:20260105T090000Z\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30').message,
      ).toContain('occurs at least once');
    });

    it('two RRULE lines, a line it does not know, an EXDATE unlike the DTSTART', () => {
      expect(
        refuse('DTSTART:20260105T090000Z\nRRULE:FREQ=DAILY\nRRULE:FREQ=WEEKLY').message,
      ).toContain('exactly one RRULE');
      expect(
        refuse('DTSTART:20260105T090000Z\nRRULE:FREQ=DAILY\nEXRULE:FREQ=WEEKLY').message,
      ).toContain('DTSTART, RRULE, EXDATE or RDATE');
      expect(
        refuse('DTSTART:20260105T090000Z\nRRULE:FREQ=DAILY\nEXDATE:20260106T090000').message,
      ).toContain('EXDATE;TZID=Europe/Berlin:20260112T090000');
    });

    it('values that are not rule text at all', () => {
      for (const value of [42, '', '   ', 'x'.repeat(10_001)]) refuse(value);
    });

    it('an rrule beside a cron', () => {
      const e = rejection(
        () => parseRecurrence({ cron: '0 9 * * *', rrule: 'DTSTART:20260105T090000Z FREQ=DAILY' }),
        CODE,
        '',
      );
      expect(e.message).toContain('not several');
    });
  });
});

describe('a task with an rrule', () => {
  it('is accepted by parseTask, and updateTask replaces the rule whole', () => {
    const task = parseTask({
      id: 'r',
      title: 'r',
      createdAt: '2026-01-01T00:00:00Z',
      recurrence: { rrule: 'DTSTART;TZID=Europe/Berlin:20260105T090000 RRULE:FREQ=DAILY' },
    });
    expect(task.recurrence?.kind).toBe('rrule');
    const changed = applyTaskChanges(task, {
      recurrence: { rrule: 'DTSTART;TZID=Europe/Berlin:20260105T100000 RRULE:FREQ=WEEKLY' },
    });
    expect(changed.recurrence).toEqual({
      kind: 'rrule',
      rrule: 'DTSTART;TZID=Europe/Berlin:20260105T100000\nRRULE:FREQ=WEEKLY',
    });
  });
});
