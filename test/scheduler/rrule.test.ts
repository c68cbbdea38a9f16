import { describe, expect, it } from 'vitest';
import { HOUR, T0, useHarnesses } from '../helpers/harness.js';

const { setUp } = useHarnesses();

describe('SmartScheduler', () => {
  describe('with an RRULE task', () => {
    it('runs each instance at its time, skips the EXDATE and stops after COUNT', async () => {
      const h = setUp();
      // T0 is 2026-03-02T08:00Z: hourly from 09:00Z, four instances, the 10:00 one excluded.
      await h.scheduler.defineTask({
        id: 'hourly',
        title: 'hourly',
        handler: 'record',
        recurrence: {
          rrule: 'DTSTART:20260302T090000Z RRULE:FREQ=HOURLY;COUNT=4 EXDATE:20260302T100000Z',
        },
      });
      await h.scheduler.start();
      await h.clock.advanceAsync(8 * HOUR);

      expect(h.calls.map((c) => c.atMs - T0)).toEqual([1 * HOUR, 3 * HOUR, 4 * HOUR]);
      expect(
        (await h.scheduler.listOccurrences({ taskId: 'hourly' })).items.map((o) => o.cause),
      ).toEqual(['initial', 'recurrence', 'recurrence']);
      expect(h.scheduler.armedCount).toBe(0);
      expect(h.errors).toEqual([]);
    });
  });
});
