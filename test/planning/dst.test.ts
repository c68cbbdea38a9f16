import { describe, expect, it } from 'vitest';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import type { CalendarConfig, Occurrence } from '../../src/domain/types.js';
import { parseCalendar } from '../../src/domain/validateCalendar.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { occupancyOf } from '../../src/planning/CalendarOccupancy.js';
import { DefaultCalendarPlanner } from '../../src/planning/DefaultCalendarPlanner.js';
import { DefaultTaskScheduler } from '../../src/planning/DefaultTaskScheduler.js';
import type { PlanningContext } from '../../src/planning/ports.js';
import { zonedInstant, zonedParts } from '../../src/planning/zonedTime.js';

/** Wall-clock "YYYY-MM-DD HH:MM" of an instant, read by Intl directly (not by our code). */
function wall(at: string | number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(new Date(at));
  const get = (type: string) => parts.find((p) => p.type === type)?.value;
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

const utc = (ms: number) => new Date(ms).toISOString();

describe('zonedInstant at DST changes', () => {
  it.each([
    // zone, local date, wall time, expected instant, what happens
    ['America/New_York', '2026-03-08', '01:59', '2026-03-08T06:59:00.000Z', 'before the gap'],
    [
      'America/New_York',
      '2026-03-08',
      '02:30',
      '2026-03-08T07:30:00.000Z',
      'gap: shifted to 03:30 EDT',
    ],
    ['America/New_York', '2026-03-08', '03:00', '2026-03-08T07:00:00.000Z', 'after the gap'],
    [
      'America/New_York',
      '2026-11-01',
      '01:30',
      '2026-11-01T05:30:00.000Z',
      'overlap: earlier (EDT)',
    ],
    ['America/New_York', '2026-11-01', '02:00', '2026-11-01T07:00:00.000Z', 'after the overlap'],
    [
      'Europe/Berlin',
      '2026-03-29',
      '02:30',
      '2026-03-29T01:30:00.000Z',
      'gap: shifted to 03:30 CEST',
    ],
    ['Europe/Berlin', '2026-03-29', '09:30', '2026-03-29T07:30:00.000Z', 'summer time'],
    ['Europe/Berlin', '2026-10-25', '02:30', '2026-10-25T00:30:00.000Z', 'overlap: earlier (CEST)'],
    ['Europe/Berlin', '2026-10-25', '09:30', '2026-10-25T08:30:00.000Z', 'winter time'],
    [
      'Australia/Lord_Howe',
      '2026-10-04',
      '02:15',
      '2026-10-03T15:45:00.000Z',
      'half-hour gap: 02:45',
    ],
    [
      'Australia/Lord_Howe',
      '2026-04-05',
      '01:45',
      '2026-04-04T14:45:00.000Z',
      'half-hour overlap: earlier',
    ],
    ['Asia/Kolkata', '2026-03-29', '09:30', '2026-03-29T04:00:00.000Z', 'half-hour offset, no DST'],
  ])('%s %s %s → %s (%s)', (zone, date, time, expected) => {
    expect(utc(zonedInstant(date, time, zone))).toBe(expected);
  });

  it('a gap time lands exactly the gap length later on the local clock', () => {
    expect(wall(zonedInstant('2026-03-08', '02:30', 'America/New_York'), 'America/New_York')).toBe(
      '2026-03-08 03:30',
    );
    expect(
      wall(zonedInstant('2026-10-04', '02:15', 'Australia/Lord_Howe'), 'Australia/Lord_Howe'),
    ).toBe('2026-10-04 02:45');
  });

  it('zonedParts agrees with Intl around every change', () => {
    for (const [zone, start] of [
      ['America/New_York', '2026-03-08T05:00:00Z'],
      ['America/New_York', '2026-11-01T04:00:00Z'],
      ['Europe/Berlin', '2026-03-29T00:00:00Z'],
      ['Europe/Berlin', '2026-10-24T23:00:00Z'],
      ['Australia/Lord_Howe', '2026-10-03T14:00:00Z'],
      ['Australia/Lord_Howe', '2026-04-04T13:00:00Z'],
    ] as const) {
      for (let minutes = 0; minutes <= 240; minutes += 15) {
        const ms = Date.parse(start) + minutes * 60_000;
        const p = zonedParts(ms, zone);
        const hh = String(Math.floor(p.minuteOfDay / 60)).padStart(2, '0');
        const mm = String(p.minuteOfDay % 60).padStart(2, '0');
        expect(`${p.localDate} ${hh}:${mm}`).toBe(wall(ms, zone));
      }
    }
  });
});

function ctxOf(calendar: CalendarConfig, occurrences: Occurrence[] = []): PlanningContext {
  return { calendar, occupancy: occupancyOf(occurrences, calendar) };
}

describe('calendar rules across DST changes', () => {
  const planner = new DefaultCalendarPlanner();

  it('keeps "Monday 09:00" at 09:00 local on both sides of the March change in Berlin', () => {
    const calendar = parseCalendar({
      timeZone: 'Europe/Berlin',
      workingHours: { mon: { start: '09:00', end: '17:00', slots: ['nine'] } },
      slots: [{ id: 'nine', start: '09:00' }],
    });
    const ctx = ctxOf(calendar);
    const before = planner.nextAvailableSlot(new Date('2026-03-20T12:00:00Z'), ctx);
    const after = planner.nextAvailableSlot(new Date('2026-03-27T12:00:00Z'), ctx);
    expect(before?.at).toBe('2026-03-23T08:00:00.000Z');
    expect(after?.at).toBe('2026-03-30T07:00:00.000Z');
    expect(wall(before?.at ?? '', 'Europe/Berlin')).toBe('2026-03-23 09:00');
    expect(wall(after?.at ?? '', 'Europe/Berlin')).toBe('2026-03-30 09:00');
  });

  it('treats a slot in the spring-forward gap as the time after the jump', () => {
    const calendar = parseCalendar({
      timeZone: 'America/New_York',
      workingHours: { sun: { start: '00:00', end: '24:00', slots: ['early'] } },
      slots: [{ id: 'early', start: '02:30' }],
    });
    const ctx = ctxOf(calendar);
    expect(planner.nextAvailableSlot(new Date('2026-03-08T00:00:00Z'), ctx)).toEqual({
      at: '2026-03-08T07:30:00.000Z',
      slotName: 'early',
    });
    expect(planner.isSlotAvailable(new Date('2026-03-08T07:30:00Z'), ctx)).toBe(true);
    // The wall clock never shows 02:30 that day; 03:00 is not the slot either.
    expect(planner.isSlotAvailable(new Date('2026-03-08T07:00:00Z'), ctx)).toBe(false);
  });

  it('treats a slot in the fall-back overlap as its earlier instant only', () => {
    const calendar = parseCalendar({
      timeZone: 'America/New_York',
      workingHours: { sun: { start: '00:00', end: '24:00', slots: ['early'] } },
      slots: [{ id: 'early', start: '01:30' }],
    });
    const ctx = ctxOf(calendar);
    expect(planner.isSlotAvailable(new Date('2026-11-01T05:30:00Z'), ctx)).toBe(true);
    expect(planner.isSlotAvailable(new Date('2026-11-01T06:30:00Z'), ctx)).toBe(false);
    // A pinned time is judged by the local clock, which shows 01:30 at both instants.
    expect(planner.isPinnedTimeValid(new Date('2026-11-01T06:30:00Z'), ctx)).toBe(true);
  });

  it('counts the cap per local day on a 25-hour day', () => {
    const calendar = parseCalendar({ timeZone: 'Europe/Berlin', maxPerDay: 1 });
    // 23:30 local on 2026-10-25 (after fall back, UTC+1) is 22:30 UTC; still the 25th.
    const late = makeOccurrence({
      taskId: 't',
      cause: 'initial',
      scheduledFor: '2026-10-25T22:30:00Z',
    });
    const ctx = ctxOf(calendar, [late]);
    expect(planner.isPinnedTimeValid(new Date('2026-10-25T00:30:00Z'), ctx)).toBe(false);
    expect(planner.isPinnedTimeValid(new Date('2026-10-25T23:00:00Z'), ctx)).toBe(true);
  });

  it('places Kolkata slots at their half-hour offset', () => {
    const calendar = parseCalendar({
      timeZone: 'Asia/Kolkata',
      workingHours: { mon: { start: '09:00', end: '17:00' } },
      slots: [{ id: 'morning', start: '09:30' }],
    });
    expect(planner.nextAvailableSlot(new Date('2026-03-29T00:00:00Z'), ctxOf(calendar))?.at).toBe(
      '2026-03-30T04:00:00.000Z',
    );
  });
});

describe('recurrences across DST changes', () => {
  const scheduler = new DefaultTaskScheduler();

  function series(
    calendar: CalendarConfig,
    recurrence: Record<string, unknown>,
    from: string,
    count: number,
  ) {
    const task = parseTask({ id: 't', title: 't', recurrence, createdAt: from }, calendar);
    const ctx = ctxOf(calendar);
    const out: string[] = [];
    let cursor = new Date(from);
    for (let i = 0; i < count; i += 1) {
      const next = scheduler.nextOccurrence(task, cursor, ctx);
      if (next === undefined) break;
      out.push(next.scheduledFor);
      cursor = new Date(next.scheduledFor);
    }
    return out;
  }

  it('runs "weekdays at 09:30" in Berlin at 09:30 local on both sides of the March change', () => {
    const calendar = parseCalendar({
      timeZone: 'Europe/Berlin',
      workingHours: Object.fromEntries(
        ['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, { start: '09:00', end: '17:00' }]),
      ),
      slots: [{ id: 'standup', start: '09:30' }],
    });
    const runs = series(calendar, { cron: '30 9 * * 1-5' }, '2026-03-25T12:00:00Z', 4);
    expect(runs).toEqual([
      '2026-03-26T08:30:00.000Z',
      '2026-03-27T08:30:00.000Z',
      '2026-03-30T07:30:00.000Z',
      '2026-03-31T07:30:00.000Z',
    ]);
    expect(runs.map((r) => wall(r, 'Europe/Berlin').slice(11))).toEqual([
      '09:30',
      '09:30',
      '09:30',
      '09:30',
    ]);
  });

  it('runs a New York cron at the same local time across the November change', () => {
    const calendar = parseCalendar({ timeZone: 'America/New_York' });
    const runs = series(calendar, { cron: '0 8 * * *' }, '2026-10-31T00:00:00Z', 3);
    expect(runs.map((r) => wall(r, 'America/New_York'))).toEqual([
      '2026-10-31 08:00',
      '2026-11-01 08:00',
      '2026-11-02 08:00',
    ]);
    expect(runs[1]).toBe('2026-11-01T13:00:00.000Z');
  });

  it('runs a Lord Howe cron at 09:30 local across its half-hour change', () => {
    const calendar = parseCalendar({ timeZone: 'Australia/Lord_Howe' });
    const runs = series(calendar, { cron: '30 9 * * *' }, '2026-10-02T12:00:00Z', 3);
    expect(runs).toEqual([
      '2026-10-02T23:00:00.000Z',
      '2026-10-03T22:30:00.000Z',
      '2026-10-04T22:30:00.000Z',
    ]);
    expect(runs.map((r) => wall(r, 'Australia/Lord_Howe').slice(11))).toEqual([
      '09:30',
      '09:30',
      '09:30',
    ]);
  });

  it('evaluates a cron in its own zone when it names one', () => {
    const calendar = parseCalendar({ timeZone: 'UTC' });
    const runs = series(
      calendar,
      { cron: '0 9 * * *', timeZone: 'Asia/Kolkata' },
      '2026-03-01T00:00:00Z',
      1,
    );
    expect(runs).toEqual(['2026-03-01T03:30:00.000Z']);
  });

  it('keeps a fixed interval fixed in absolute time, so its local time moves by the change', () => {
    const calendar = parseCalendar({ timeZone: 'Europe/Berlin' });
    const runs = series(
      calendar,
      { everyMs: 86_400_000, anchor: '2026-03-28T08:00:00Z' },
      '2026-03-28T07:00:00Z',
      2,
    );
    expect(runs.map((r) => wall(r, 'Europe/Berlin'))).toEqual([
      '2026-03-28 09:00',
      '2026-03-29 10:00',
    ]);
  });
});
