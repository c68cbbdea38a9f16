import { describe, expect, it } from 'vitest';
import { parseTask } from '../../src/domain/validateTask.js';
import { firstDueAtOrAfter, nextDueAfter } from '../../src/planning/dueTimes.js';

// RFC 5545 recurrences through the planner's due times. Expected instants are written out by
// hand from each zone's rules (2026: New York changes on 8 March and 1 November, Berlin on
// 29 March and 25 October, Lord Howe by 30 minutes on 5 April and 4 October).

const CREATED = '2025-12-01T00:00:00Z';

function rruleTask(rrule: string, extra: Record<string, unknown> = {}) {
  return parseTask({ id: 'r', title: 'r', createdAt: CREATED, recurrence: { rrule }, ...extra });
}

/** The first `n` due times from `fromIso` on, as ISO strings (fewer once the series ends). */
function dueTimes(rrule: string, fromIso: string, n = 10, extra: Record<string, unknown> = {}) {
  const task = rruleTask(rrule, extra);
  const out: string[] = [];
  let due = firstDueAtOrAfter(task, Date.parse(fromIso), 'UTC');
  while (due !== undefined && out.length < n) {
    out.push(new Date(due).toISOString().replace('.000Z', 'Z'));
    due = nextDueAfter(task, due, 'UTC');
  }
  return out;
}

describe('RRULE due times', () => {
  describe('at DST changes', () => {
    it.each([
      [
        'New York gap: the 02:30 of 8 March does not exist and is left out',
        'DTSTART;TZID=America/New_York:20260307T023000\nRRULE:FREQ=DAILY;COUNT=3',
        ['2026-03-07T07:30:00Z', '2026-03-09T06:30:00Z', '2026-03-10T06:30:00Z'],
      ],
      [
        'New York overlap: 01:30 on 1 November runs once, at its first (EDT) occurrence',
        'DTSTART;TZID=America/New_York:20261031T013000\nRRULE:FREQ=DAILY;COUNT=3',
        ['2026-10-31T05:30:00Z', '2026-11-01T05:30:00Z', '2026-11-02T06:30:00Z'],
      ],
      [
        'New York weekly 09:00 keeps its wall time across the change',
        'DTSTART;TZID=America/New_York:20260302T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2',
        ['2026-03-02T14:00:00Z', '2026-03-09T13:00:00Z'],
      ],
      [
        'Berlin gap: the 02:30 of 29 March is left out',
        'DTSTART;TZID=Europe/Berlin:20260328T023000\nRRULE:FREQ=DAILY;COUNT=3',
        ['2026-03-28T01:30:00Z', '2026-03-30T00:30:00Z', '2026-03-31T00:30:00Z'],
      ],
      [
        'Berlin overlap: 02:30 on 25 October runs once, in summer time',
        'DTSTART;TZID=Europe/Berlin:20261024T023000\nRRULE:FREQ=DAILY;COUNT=3',
        ['2026-10-24T00:30:00Z', '2026-10-25T00:30:00Z', '2026-10-26T01:30:00Z'],
      ],
      [
        'Berlin hourly through the gap: four instants an hour apart',
        'DTSTART;TZID=Europe/Berlin:20260329T000000\nRRULE:FREQ=HOURLY;COUNT=4',
        [
          '2026-03-28T23:00:00Z',
          '2026-03-29T00:00:00Z',
          '2026-03-29T01:00:00Z',
          '2026-03-29T02:00:00Z',
        ],
      ],
      [
        'Lord Howe 30-minute gap: 02:15 on 4 October is left out',
        'DTSTART;TZID=Australia/Lord_Howe:20261003T021500\nRRULE:FREQ=DAILY;COUNT=3',
        ['2026-10-02T15:45:00Z', '2026-10-04T15:15:00Z', '2026-10-05T15:15:00Z'],
      ],
      [
        'Lord Howe 30-minute overlap: 01:45 on 5 April runs once, at +11:00',
        'DTSTART;TZID=Australia/Lord_Howe:20260404T014500\nRRULE:FREQ=DAILY;COUNT=3',
        ['2026-04-03T14:45:00Z', '2026-04-04T14:45:00Z', '2026-04-05T15:15:00Z'],
      ],
      [
        'Lord Howe last Friday 12:00, before and after the change',
        'DTSTART;TZID=Australia/Lord_Howe:20260327T120000\nRRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=2',
        ['2026-03-27T01:00:00Z', '2026-04-24T01:30:00Z'],
      ],
    ])('%s', (_name, rrule, expected) => {
      expect(dueTimes(rrule, '2026-01-01T00:00:00Z')).toEqual(expected);
    });
  });

  describe('ending and exceptions', () => {
    it('skips the times an EXDATE names', () => {
      expect(
        dueTimes(
          'DTSTART;TZID=Europe/Berlin:20260323T090000\nRRULE:FREQ=DAILY;COUNT=4\nEXDATE;TZID=Europe/Berlin:20260324T090000,20260325T090000',
          '2026-01-01T00:00:00Z',
        ),
      ).toEqual(['2026-03-23T08:00:00Z', '2026-03-26T08:00:00Z']);
    });

    it('accepts an EXDATE in UTC for a zoned DTSTART', () => {
      expect(
        dueTimes(
          'DTSTART;TZID=America/New_York:20260105T090000 RRULE:FREQ=DAILY;COUNT=3 EXDATE:20260106T140000Z',
          '2026-01-01T00:00:00Z',
        ),
      ).toEqual(['2026-01-05T14:00:00Z', '2026-01-07T14:00:00Z']);
    });

    it('ends the series after COUNT instances, counted from DTSTART (not from now)', () => {
      const rule = 'DTSTART;TZID=Europe/Berlin:20260105T090000\nRRULE:FREQ=DAILY;COUNT=5';
      expect(dueTimes(rule, '2026-01-01T00:00:00Z')).toHaveLength(5);
      // Asked on the 8th, only the 8th and 9th are left.
      expect(dueTimes(rule, '2026-01-08T00:00:00Z')).toEqual([
        '2026-01-08T08:00:00Z',
        '2026-01-09T08:00:00Z',
      ]);
      expect(dueTimes(rule, '2026-01-10T00:00:00Z')).toEqual([]);
    });

    it('ends the series at UNTIL, which is inclusive', () => {
      expect(
        dueTimes(
          'DTSTART;TZID=Europe/Berlin:20260323T090000\nRRULE:FREQ=DAILY;UNTIL=20260326T080000Z',
          '2026-01-01T00:00:00Z',
        ),
      ).toEqual([
        '2026-03-23T08:00:00Z',
        '2026-03-24T08:00:00Z',
        '2026-03-25T08:00:00Z',
        '2026-03-26T08:00:00Z',
      ]);
    });

    it('adds the times an RDATE names', () => {
      expect(
        dueTimes(
          'DTSTART:20260105T090000Z\nRRULE:FREQ=WEEKLY;COUNT=2\nRDATE:20260107T120000Z',
          '2026-01-01T00:00:00Z',
        ),
      ).toEqual(['2026-01-05T09:00:00Z', '2026-01-07T12:00:00Z', '2026-01-12T09:00:00Z']);
    });
  });

  describe('with the task around it', () => {
    it('is never due before the task startAt', () => {
      const rule = 'DTSTART;TZID=Europe/Berlin:20260105T090000\nRRULE:FREQ=DAILY';
      expect(
        dueTimes(rule, '2026-01-01T00:00:00Z', 2, { startAt: '2026-01-07T08:00:00Z' }),
      ).toEqual(['2026-01-07T08:00:00Z', '2026-01-08T08:00:00Z']);
    });

    it('is due strictly after the instant asked about, so a due time does not repeat', () => {
      const task = rruleTask('DTSTART:20260105T090000Z\nRRULE:FREQ=DAILY');
      const due = Date.parse('2026-01-06T09:00:00Z');
      expect(nextDueAfter(task, due, 'UTC')).toBe(due + 86_400_000);
      expect(nextDueAfter(task, due - 1, 'UTC')).toBe(due);
      expect(firstDueAtOrAfter(task, due, 'UTC')).toBe(due);
    });

    it('ignores the calendar zone: the rule carries its own', () => {
      const task = rruleTask('DTSTART;TZID=Asia/Tokyo:20260105T090000\nRRULE:FREQ=DAILY');
      const from = Date.parse('2026-01-31T12:00:00Z');
      expect(nextDueAfter(task, from, 'America/New_York')).toBe(
        nextDueAfter(task, from, 'Europe/Berlin'),
      );
      expect(new Date(nextDueAfter(task, from, 'UTC')!).toISOString()).toBe(
        '2026-02-01T00:00:00.000Z',
      );
    });
  });
});
