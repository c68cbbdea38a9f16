import { describe, expect, it } from 'vitest';
import { QUARTER_HOUR_MS } from '../../src/domain/quarterHour.js';
import { parseCalendar } from '../../src/domain/validateCalendar.js';
import { CalendarOccupancy } from '../../src/planning/CalendarOccupancy.js';

const utc = parseCalendar({ timeZone: 'UTC', maxPerDay: 5 });
const tokyo = parseCalendar({ timeZone: 'Asia/Tokyo', maxPerDay: 5 });
/** 2026-03-22, 23:00 UTC: the 22nd in UTC, already the 23rd in Tokyo. */
const LATE = Date.parse('2026-03-22T23:00:00.000Z');

/** Two named places and three unnamed ones (a windowed live set's far ones), late on the 22nd UTC. */
function occupied(): CalendarOccupancy {
  const occupancy = new CalendarOccupancy(utc);
  occupancy.hold('a', new Date(LATE).toISOString());
  occupancy.hold('b', new Date(LATE + 60_000).toISOString());
  occupancy.holdUnnamed({ quarters: [[LATE, 3]], instants: [LATE, LATE, LATE + 60_000] });
  return occupancy;
}

describe('CalendarOccupancy', () => {
  it('counts the unnamed places of a day beside the named ones', () => {
    const occupancy = occupied();
    expect(occupancy.countOnDay('2026-03-22')).toBe(5);
    expect(occupancy.countOnDay('2026-03-22', 'a')).toBe(4);
    expect(occupancy.isTaken(LATE + QUARTER_HOUR_MS)).toBe(false);
  });

  it('keeps every place, named or not, when the calendar changes zone', () => {
    const occupancy = occupied();
    occupancy.rezone(tokyo);
    expect(occupancy.countOnDay('2026-03-22')).toBe(0);
    expect(occupancy.countOnDay('2026-03-23')).toBe(5);
    expect(occupancy.holds('a')).toBe(true);
    occupancy.rezone(utc);
    expect(occupancy.countOnDay('2026-03-22')).toBe(5);
    expect(occupancy.countOnDay('2026-03-23')).toBe(0);
    // The unnamed instants are still taken (the calendar keeps instants exclusive).
    occupancy.release('a');
    occupancy.release('b');
    expect(occupancy.isTaken(LATE)).toBe(true);
    expect(occupancy.isTaken(LATE + 60_000)).toBe(true);
    expect(occupancy.countOnDay('2026-03-22')).toBe(3);
  });

  it('forgets every place on reset, and counts in the calendar it is given', () => {
    const occupancy = occupied();
    occupancy.reset(tokyo);
    expect(occupancy.size).toBe(0);
    expect(occupancy.countOnDay('2026-03-22')).toBe(0);
    expect(occupancy.countOnDay('2026-03-23')).toBe(0);
    expect(occupancy.isTaken(LATE)).toBe(false);
    expect(occupancy.calendar).toBe(tokyo);
    occupancy.hold('c', new Date(LATE).toISOString());
    expect(occupancy.countOnDay('2026-03-23')).toBe(1);
  });

  it('puts nothing back after a reset inside a batch that fails', async () => {
    const occupancy = occupied();
    await expect(
      occupancy.undoOnFailure(async () => {
        occupancy.hold('d', new Date(LATE + 2 * QUARTER_HOUR_MS).toISOString());
        occupancy.reset(utc);
        occupancy.hold('e', new Date(LATE).toISOString());
        throw new Error('the batch fails');
      }),
    ).rejects.toThrow('the batch fails');
    // Only what was held after the reset is undone; nothing from before it comes back.
    expect(occupancy.size).toBe(0);
    expect(occupancy.countOnDay('2026-03-22')).toBe(0);
  });
});
