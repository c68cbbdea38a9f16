import { describe, expect, it } from 'vitest';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import { occurrenceId } from '../../src/domain/occurrenceId.js';
import type { Occurrence, Task } from '../../src/domain/types.js';
import { parseCalendar } from '../../src/domain/validateCalendar.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { occupancyOf } from '../../src/planning/CalendarOccupancy.js';
import { DefaultTaskScheduler } from '../../src/planning/DefaultTaskScheduler.js';
import type { PlanningContext } from '../../src/planning/ports.js';
import { retryDelayMs } from '../../src/planning/retryDelay.js';

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
  ],
  maxPerDay: 3,
});

const local = (text: string) => new Date(`${text}+01:00`);
const iso = (text: string) => local(text).toISOString();
const NOW = local('2026-03-02T08:00');
const scheduler = new DefaultTaskScheduler();

function task(input: Record<string, unknown>): Task {
  return parseTask({ id: 'report', title: 'Report', ...input }, calendar, NOW);
}

function ctxWith(...occurrences: Occurrence[]): PlanningContext {
  return { calendar, occupancy: occupancyOf(occurrences, calendar) };
}

function occ(
  taskId: string,
  text: string,
  extra: Partial<Parameters<typeof makeOccurrence>[0]> = {},
) {
  return makeOccurrence({ taskId, cause: 'initial', scheduledFor: local(text), ...extra });
}

const empty = ctxWith();

describe('DefaultTaskScheduler', () => {
  describe('isDue / isMissed / shouldRetry', () => {
    const o = occ('report', '2026-03-02T10:00');

    it('is due at and after its time, not before', () => {
      expect(scheduler.isDue(o, local('2026-03-02T09:59'))).toBe(false);
      expect(scheduler.isDue(o, local('2026-03-02T10:00'))).toBe(true);
    });

    it('is missed only beyond grace', () => {
      expect(
        scheduler.isMissed(o, new Date(local('2026-03-02T10:00').getTime() + 30_000), 30_000),
      ).toBe(false);
      expect(
        scheduler.isMissed(o, new Date(local('2026-03-02T10:00').getTime() + 30_001), 30_000),
      ).toBe(true);
    });

    it('retries while attempt < maxRetries', () => {
      const t = task({ retry: { maxRetries: 2 } });
      expect(scheduler.shouldRetry(o, t)).toBe(true);
      expect(scheduler.shouldRetry({ ...o, attempt: 1 }, t)).toBe(true);
      expect(scheduler.shouldRetry({ ...o, attempt: 2 }, t)).toBe(false);
    });
  });

  describe('nextOccurrence', () => {
    it('uses a valid pinned time after from, before the recurrence', () => {
      const t = task({ pinnedTime: iso('2026-03-03T10:05'), recurrence: { cron: '0 9 * * *' } });
      const next = scheduler.nextOccurrence(t, NOW, empty);
      expect(next).toMatchObject({
        scheduledFor: iso('2026-03-03T10:05'),
        pinnedTime: iso('2026-03-03T10:05'),
        cause: 'initial',
      });
      expect(next?.id).toBe(occurrenceId('report', 'initial', iso('2026-03-03T10:05'), 0));
    });

    it('falls back to the recurrence when the pinned time is invalid or already taken', () => {
      const t = task({ pinnedTime: iso('2026-03-03T20:00'), recurrence: { cron: '0 11 * * *' } });
      expect(scheduler.nextOccurrence(t, NOW, empty)?.scheduledFor).toBe(iso('2026-03-02T11:00'));
      const pinned = task({
        pinnedTime: iso('2026-03-02T10:05'),
        recurrence: { cron: '0 11 * * *' },
      });
      const ctx = ctxWith(occ('report', '2026-03-02T10:05'));
      expect(scheduler.nextOccurrence(pinned, NOW, ctx)?.cause).toBe('recurrence');
    });

    it('keeps a due time the calendar accepts as is, naming the slot it starts', () => {
      const t = task({ recurrence: { cron: '30 9 * * 1-5' } });
      const next = scheduler.nextOccurrence(t, NOW, empty, { parentId: 'o_prev' });
      expect(next).toMatchObject({
        scheduledFor: iso('2026-03-02T09:30'),
        slotName: 'morning',
        cause: 'recurrence',
        attempt: 0,
        parentId: 'o_prev',
      });
    });

    it('maps a due time outside working hours into the preferred slot', () => {
      const t = task({ recurrence: { cron: '0 7 * * *' }, preferredSlots: ['afternoon'] });
      expect(scheduler.nextOccurrence(t, local('2026-03-02T06:00'), empty)).toMatchObject({
        scheduledFor: iso('2026-03-02T14:00'),
        slotName: 'afternoon',
      });
    });

    it('gives high priority the earliest available slot', () => {
      const t = task({
        recurrence: { cron: '0 7 * * *' },
        preferredSlots: ['afternoon'],
        priority: 'high',
      });
      expect(scheduler.nextOccurrence(t, local('2026-03-02T06:00'), empty)).toMatchObject({
        scheduledFor: iso('2026-03-02T09:30'),
        slotName: 'morning',
      });
    });

    it('skips occupied slots', () => {
      const t = task({ recurrence: { cron: '30 9 * * *' } });
      const ctx = ctxWith(occ('other', '2026-03-02T09:30'));
      expect(scheduler.nextOccurrence(t, NOW, ctx)?.scheduledFor).toBe(iso('2026-03-02T12:00'));
    });

    it('keeps an interval series anchored instead of drifting from a late trigger', () => {
      const t = task({ recurrence: { everyMs: 3_600_000, anchor: iso('2026-03-02T09:00') } });
      const next = scheduler.nextOccurrence(t, local('2026-03-02T10:17'), empty);
      expect(next?.scheduledFor).toBe(iso('2026-03-02T11:00'));
    });

    it('is strictly after from', () => {
      const t = task({ recurrence: { cron: '30 9 * * *' } });
      expect(scheduler.nextOccurrence(t, local('2026-03-02T09:30'), empty)?.scheduledFor).toBe(
        iso('2026-03-03T09:30'),
      );
    });

    it('never schedules before startAt', () => {
      const t = task({ recurrence: { cron: '30 9 * * *' }, startAt: iso('2026-03-05T00:00') });
      expect(scheduler.nextOccurrence(t, NOW, empty)?.scheduledFor).toBe(iso('2026-03-05T09:30'));
    });

    it('lets caps prevent scheduling, returning nothing when every day is full', () => {
      const t = task({ recurrence: { cron: '30 9 * * *' } });
      const narrow = new DefaultTaskScheduler({ recurrenceWindowDays: 2 });
      const full = ['2026-03-02', '2026-03-03', '2026-03-04'].flatMap((d) => [
        occ('x', `${d}T09:00`),
        occ('y', `${d}T10:00`),
        occ('z', `${d}T11:00`),
      ]);
      expect(narrow.nextOccurrence(t, NOW, ctxWith(...full))).toBeUndefined();
      expect(narrow.nextOccurrence(t, NOW, empty)).toBeDefined();
    });

    it('returns nothing for a task without recurrence once its pinned time has passed', () => {
      const t = task({ pinnedTime: iso('2026-03-02T10:00') });
      expect(scheduler.nextOccurrence(t, local('2026-03-02T10:00'), empty)).toBeUndefined();
    });
  });

  describe('firstOccurrence', () => {
    it('plans a one-shot task at its startAt, cause initial', () => {
      const t = task({ startAt: iso('2026-03-03T10:00') });
      expect(scheduler.firstOccurrence(t, NOW, empty)).toMatchObject({
        scheduledFor: iso('2026-03-03T10:00'),
        cause: 'initial',
        attempt: 0,
      });
    });

    it('plans a one-shot task whose startAt has passed for now, when now fits', () => {
      const t = task({ startAt: iso('2026-03-02T09:00') });
      const now = local('2026-03-02T10:10');
      expect(scheduler.firstOccurrence(t, now, empty)?.scheduledFor).toBe(now.toISOString());
    });

    it('plans the first due time of a recurrence at or after now', () => {
      const t = task({ recurrence: { everyMs: 3_600_000, anchor: iso('2026-03-02T10:00') } });
      expect(scheduler.firstOccurrence(t, local('2026-03-02T10:00'), empty)).toMatchObject({
        scheduledFor: iso('2026-03-02T10:00'),
        cause: 'initial',
      });
    });

    it('returns nothing for a task with nothing to schedule', () => {
      expect(scheduler.firstOccurrence(task({}), NOW, empty)).toBeUndefined();
    });
  });

  describe('retryOccurrence', () => {
    const failed = occ('report', '2026-03-02T09:30', { slotName: 'morning' });

    it('schedules the retry delayMs later with attempt + 1 and the parent id', () => {
      const t = task({ retry: { maxRetries: 2, delayMs: 3_600_000 } });
      const retry = scheduler.retryOccurrence(failed, t, local('2026-03-02T09:31'), empty);
      expect(retry).toMatchObject({
        taskId: 'report',
        cause: 'retry',
        attempt: 1,
        parentId: failed.id,
        scheduledFor: iso('2026-03-02T10:31'),
      });
    });

    it('yields no retry once the limit is reached', () => {
      const t = task({ retry: { maxRetries: 1 } });
      expect(scheduler.retryOccurrence({ ...failed, attempt: 1 }, t, NOW, empty)).toBeUndefined();
      expect(scheduler.retryOccurrence(failed, task({}), NOW, empty)).toBeUndefined();
    });

    it("puts the failed occurrence's own slot first (low priority waits for it)", () => {
      const t = task({
        priority: 'low',
        retry: { maxRetries: 1, delayMs: 60_000 },
      });
      // Wednesday only offers morning and afternoon; 09:31 + 1 min is neither.
      const wednesday = occ('report', '2026-03-04T09:30', { slotName: 'morning' });
      const retry = scheduler.retryOccurrence(wednesday, t, local('2026-03-04T09:31'), empty);
      expect(retry).toMatchObject({ scheduledFor: iso('2026-03-05T09:30'), slotName: 'morning' });
    });

    it('backs off exponentially, capped by maxDelayMs', () => {
      const t = task({
        retry: { maxRetries: 5, delayMs: 600_000, backoff: 'exponential', maxDelayMs: 1_800_000 },
      });
      const now = local('2026-03-02T09:00');
      const third = scheduler.retryOccurrence({ ...failed, attempt: 2 }, t, now, empty);
      expect(third?.scheduledFor).toBe(iso('2026-03-02T09:30')); // 10 min × 2² = 40 min, capped at 30
      const second = scheduler.retryOccurrence({ ...failed, attempt: 1 }, t, now, empty);
      expect(second?.scheduledFor).toBe(iso('2026-03-02T09:20'));
    });

    it('returns nothing when no slot is free within seven days', () => {
      const t = task({ retry: { maxRetries: 1, delayMs: 60_000 } });
      const closed = parseCalendar({ timeZone: 'UTC', workingHours: {} });
      const ctx = { calendar: closed, occupancy: occupancyOf([], closed) };
      expect(scheduler.retryOccurrence(failed, t, NOW, ctx)).toBeUndefined();
    });
  });
});

describe('retryDelayMs', () => {
  it.each([
    [{ maxRetries: 9, delayMs: 1000, backoff: 'fixed' as const }, 3, 1000],
    [{ maxRetries: 9, delayMs: 1000, backoff: 'exponential' as const }, 1, 1000],
    [{ maxRetries: 9, delayMs: 1000, backoff: 'exponential' as const }, 4, 8000],
    [{ maxRetries: 9, delayMs: 1000, backoff: 'exponential' as const, maxDelayMs: 5000 }, 4, 5000],
    [{ maxRetries: 9, delayMs: 1000, backoff: 'fixed' as const, maxDelayMs: 500 }, 1, 500],
  ])('%o attempt %i waits %i ms', (policy, attempt, expected) => {
    expect(retryDelayMs(policy, attempt)).toBe(expected);
  });
});
