import { describe, expect, it } from 'vitest';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import type { Occurrence } from '../../src/domain/types.js';
import { parseCalendar } from '../../src/domain/validateCalendar.js';
import { occupancyOf } from '../../src/planning/CalendarOccupancy.js';
import { DefaultCalendarPlanner } from '../../src/planning/DefaultCalendarPlanner.js';
import type { PlanningContext } from '../../src/planning/ports.js';

/** Berlin in early March is UTC+1: 2026-03-02 is a Monday. */
const calendar = parseCalendar({
  timeZone: 'Europe/Berlin',
  workingHours: {
    mon: { start: '09:00', end: '17:00' },
    tue: { start: '09:00', end: '17:00' },
    wed: { start: '09:00', end: '17:00', slots: ['morning', 'afternoon'] },
    thu: { start: '09:00', end: '17:00' },
    fri: { start: '09:00', end: '17:00' },
  },
  slots: [
    { id: 'morning', start: '09:30' },
    { id: 'noon', start: '12:00' },
    { id: 'afternoon', start: '14:00' },
    { id: 'evening', start: '18:00' },
  ],
  maxPerDay: 3,
  holidays: ['2026-03-06'],
});

const planner = new DefaultCalendarPlanner();
const local = (text: string) => new Date(`${text}+01:00`);

function occ(taskId: string, localTime: string): Occurrence {
  return makeOccurrence({ taskId, cause: 'initial', scheduledFor: local(localTime) });
}

function ctxWith(...occurrences: Occurrence[]): PlanningContext {
  return { calendar, occupancy: occupancyOf(occurrences, calendar) };
}

const empty = ctxWith();

describe('DefaultCalendarPlanner', () => {
  describe('isSlotAvailable', () => {
    it('accepts a slot inside working hours', () => {
      expect(planner.isSlotAvailable(local('2026-03-02T09:30'), empty)).toBe(true);
    });

    it('accepts any time inside working hours on a day that does not restrict slots', () => {
      expect(planner.isSlotAvailable(local('2026-03-02T10:17'), empty)).toBe(true);
    });

    it('rejects a time outside working hours, end exclusive', () => {
      expect(planner.isSlotAvailable(local('2026-03-02T08:59'), empty)).toBe(false);
      expect(planner.isSlotAvailable(local('2026-03-02T17:00'), empty)).toBe(false);
      expect(planner.isSlotAvailable(local('2026-03-02T16:59'), empty)).toBe(true);
    });

    it('rejects a slot not among the allowed slots of a restricting day', () => {
      expect(planner.isSlotAvailable(local('2026-03-04T12:00'), empty)).toBe(false);
      expect(planner.isSlotAvailable(local('2026-03-04T10:00'), empty)).toBe(false);
      expect(planner.isSlotAvailable(local('2026-03-04T14:00'), empty)).toBe(true);
    });

    it('rejects a day that is full at the cap', () => {
      const ctx = ctxWith(
        occ('a', '2026-03-02T09:30'),
        occ('b', '2026-03-02T12:00'),
        occ('c', '2026-03-02T14:00'),
      );
      expect(planner.isSlotAvailable(local('2026-03-02T15:00'), ctx)).toBe(false);
      expect(planner.isSlotAvailable(local('2026-03-03T15:00'), ctx)).toBe(true);
    });

    it('does not count the excluded occurrence against the cap or its own instant', () => {
      const mine = occ('c', '2026-03-02T14:00');
      const ctx = ctxWith(occ('a', '2026-03-02T09:30'), occ('b', '2026-03-02T12:00'), mine);
      expect(planner.isSlotAvailable(local('2026-03-02T14:00'), ctx)).toBe(false);
      expect(planner.isSlotAvailable(local('2026-03-02T14:00'), ctx, mine.id)).toBe(true);
    });

    it('rejects an instant another occurrence already holds', () => {
      const ctx = ctxWith(occ('a', '2026-03-02T09:30'));
      expect(planner.isSlotAvailable(local('2026-03-02T09:30'), ctx)).toBe(false);
    });

    it('rejects a day with no working hours (weekend and holiday)', () => {
      expect(planner.isSlotAvailable(local('2026-03-07T09:30'), empty)).toBe(false);
      expect(planner.isSlotAvailable(local('2026-03-06T09:30'), empty)).toBe(false);
    });

    it('rejects an invalid Date instead of throwing', () => {
      expect(planner.isSlotAvailable(new Date(Number.NaN), empty)).toBe(false);
    });
  });

  describe('isPinnedTimeValid', () => {
    it('accepts a pinned time inside working hours that is no slot', () => {
      expect(planner.isPinnedTimeValid(local('2026-03-04T10:05'), empty)).toBe(true);
    });

    it('rejects a pinned time outside working hours, on a holiday, on a full day or taken', () => {
      expect(planner.isPinnedTimeValid(local('2026-03-02T18:00'), empty)).toBe(false);
      expect(planner.isPinnedTimeValid(local('2026-03-06T10:00'), empty)).toBe(false);
      const full = ctxWith(
        occ('a', '2026-03-02T09:30'),
        occ('b', '2026-03-02T12:00'),
        occ('c', '2026-03-02T14:00'),
      );
      expect(planner.isPinnedTimeValid(local('2026-03-02T10:00'), full)).toBe(false);
      expect(planner.isPinnedTimeValid(local('2026-03-02T12:00'), full)).toBe(false);
    });
  });

  describe('nextAvailableSlot', () => {
    it('finds the next slot strictly after the given time', () => {
      expect(planner.nextAvailableSlot(local('2026-03-02T09:30'), empty)).toEqual({
        at: local('2026-03-02T12:00').toISOString(),
        slotName: 'noon',
      });
    });

    it('never offers a pool slot outside working hours', () => {
      const found = planner.nextAvailableSlot(local('2026-03-02T14:00'), empty);
      expect(found).toEqual({ at: local('2026-03-03T09:30').toISOString(), slotName: 'morning' });
    });

    it('offers only the allowed slots on a restricting day', () => {
      const found = planner.nextAvailableSlot(local('2026-03-04T09:30'), empty);
      expect(found?.slotName).toBe('afternoon');
    });

    it('respects the cap, moving to the next day with room', () => {
      const ctx = ctxWith(
        occ('a', '2026-03-02T09:30'),
        occ('b', '2026-03-02T10:00'),
        occ('c', '2026-03-02T11:00'),
      );
      expect(planner.nextAvailableSlot(local('2026-03-02T08:00'), ctx)).toEqual({
        at: local('2026-03-03T09:30').toISOString(),
        slotName: 'morning',
      });
    });

    it('skips occupied slots', () => {
      const ctx = ctxWith(occ('a', '2026-03-02T12:00'));
      expect(planner.nextAvailableSlot(local('2026-03-02T10:00'), ctx)?.slotName).toBe('afternoon');
    });

    it('skips a holiday and the weekend', () => {
      const found = planner.nextAvailableSlot(local('2026-03-05T15:00'), empty);
      expect(found).toEqual({ at: local('2026-03-09T09:30').toISOString(), slotName: 'morning' });
    });

    it('returns undefined when nothing is free inside the window', () => {
      expect(
        planner.nextAvailableSlot(local('2026-03-05T15:00'), empty, { windowDays: 3 }),
      ).toBeUndefined();
    });

    it('lets the excluded occurrence keep its own place', () => {
      const mine = occ('a', '2026-03-02T12:00');
      const found = planner.nextAvailableSlot(local('2026-03-02T10:00'), ctxWith(mine), {
        excludeId: mine.id,
      });
      expect(found?.slotName).toBe('noon');
    });

    describe('with preferred slots and priority', () => {
      const after = local('2026-03-02T08:00');
      const preferredSlots = ['afternoon'];

      it('high takes the earliest available slot', () => {
        expect(
          planner.nextAvailableSlot(after, empty, { preferredSlots, priority: 'high' })?.slotName,
        ).toBe('morning');
      });

      it('medium takes a preferred slot on the first day with room', () => {
        const found = planner.nextAvailableSlot(after, empty, {
          preferredSlots,
          priority: 'medium',
        });
        expect(found).toEqual({
          at: local('2026-03-02T14:00').toISOString(),
          slotName: 'afternoon',
        });
      });

      it('medium falls back to another slot that same day when the preferred one is taken', () => {
        const ctx = ctxWith(occ('x', '2026-03-02T14:00'));
        expect(planner.nextAvailableSlot(after, ctx, { preferredSlots })?.at).toBe(
          local('2026-03-02T09:30').toISOString(),
        );
      });

      it('low waits for a preferred slot on a later day', () => {
        const ctx = ctxWith(occ('x', '2026-03-02T14:00'));
        const found = planner.nextAvailableSlot(after, ctx, { preferredSlots, priority: 'low' });
        expect(found).toEqual({
          at: local('2026-03-03T14:00').toISOString(),
          slotName: 'afternoon',
        });
      });

      it('low takes any slot when no preferred slot is free in the window', () => {
        const found = planner.nextAvailableSlot(after, empty, {
          preferredSlots: ['evening'],
          priority: 'low',
        });
        expect(found?.slotName).toBe('morning');
      });
    });

    it('offers every free minute of a day without pool slots', () => {
      const open = parseCalendar({
        timeZone: 'UTC',
        workingHours: { mon: { start: '09:00', end: '10:00' } },
      });
      const taken = makeOccurrence({
        taskId: 'a',
        cause: 'initial',
        scheduledFor: '2026-03-02T09:00:00Z',
      });
      const ctx = { calendar: open, occupancy: occupancyOf([taken], open) };
      expect(planner.nextAvailableSlot(new Date('2026-03-02T08:00:00Z'), ctx)).toEqual({
        at: '2026-03-02T09:01:00.000Z',
      });
      expect(planner.nextAvailableSlot(new Date('2026-03-02T09:59:00Z'), ctx)?.at).toBe(
        '2026-03-09T09:00:00.000Z',
      );
    });
  });
});

describe('occupancyOf', () => {
  it('counts per local date in the calendar zone and honours excludeId', () => {
    // 23:30 UTC on the 2nd is already the 3rd in Berlin.
    const late = makeOccurrence({
      taskId: 'a',
      cause: 'initial',
      scheduledFor: '2026-03-02T23:30:00Z',
    });
    const occupancy = occupancyOf([late, late, occ('b', '2026-03-03T10:00')], calendar);
    expect(occupancy.countOnDay('2026-03-03')).toBe(2);
    expect(occupancy.countOnDay('2026-03-02')).toBe(0);
    expect(occupancy.countOnDay('2026-03-03', late.id)).toBe(1);
    expect(occupancy.isTaken(Date.parse('2026-03-02T23:30:00Z'))).toBe(true);
    expect(occupancy.isTaken(Date.parse('2026-03-02T23:30:00Z'), late.id)).toBe(false);
  });
});

describe('a hand-built, unfrozen calendar', () => {
  it('is re-read on every call, so a later change takes effect', () => {
    const mutable = {
      timeZone: 'UTC',
      workingHours: { mon: { start: '09:00', end: '17:00' } } as Record<
        string,
        { start: string; end: string }
      >,
      slots: [],
    };
    const ctx = { calendar: mutable, occupancy: occupancyOf([], mutable) };
    const mondayTen = new Date('2026-03-02T10:00:00Z');
    expect(planner.isSlotAvailable(mondayTen, ctx)).toBe(true);
    mutable.workingHours.mon = { start: '11:00', end: '17:00' };
    expect(planner.isSlotAvailable(mondayTen, ctx)).toBe(false);
  });
});

describe('exclusiveInstants', () => {
  const at = new Date('2026-03-02T10:00:00.000Z');
  const busy = [makeOccurrence({ taskId: 'other', cause: 'initial', scheduledFor: at })];
  const planner = new DefaultCalendarPlanner();

  it('by default refuses a second occurrence at the same instant (the seed rule)', () => {
    const cal = parseCalendar({ timeZone: 'UTC' });
    const ctx: PlanningContext = { calendar: cal, occupancy: occupancyOf(busy, cal) };
    expect(planner.isSlotAvailable(at, ctx)).toBe(false);
    expect(planner.nextAvailableSlot(new Date(at.getTime() - 1), ctx)?.at).toBe(
      '2026-03-02T10:01:00.000Z',
    );
  });

  it('when false lets occurrences share an instant, still under the cap', () => {
    const cal = parseCalendar({ timeZone: 'UTC', exclusiveInstants: false, maxPerDay: 2 });
    const ctx: PlanningContext = { calendar: cal, occupancy: occupancyOf(busy, cal) };
    expect(planner.isSlotAvailable(at, ctx)).toBe(true);
    const full: PlanningContext = {
      calendar: cal,
      occupancy: occupancyOf(
        [...busy, makeOccurrence({ taskId: 'third', cause: 'initial', scheduledFor: at })],
        cal,
      ),
    };
    expect(planner.isSlotAvailable(at, full)).toBe(false);
  });

  it('must be a boolean', () => {
    expect(() => parseCalendar({ timeZone: 'UTC', exclusiveInstants: 'no' })).toThrow(
      /exclusiveInstants/,
    );
  });
});
