import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import type { CalendarConfig } from '../../src/domain/types.js';
import { parseCalendar } from '../../src/domain/validateCalendar.js';
import { parseRecurrence } from '../../src/domain/validateRecurrence.js';
import { parseRetryPolicy } from '../../src/domain/validateRetryPolicy.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { rejection } from '../helpers/rejection.js';

const NOW = new Date('2026-03-02T08:00:00.000Z');

const calendar: CalendarConfig = parseCalendar({
  timeZone: 'Europe/Berlin',
  workingHours: { mon: { start: '09:00', end: '17:00' } },
  slots: [
    { id: 'morning', start: '09:30' },
    { id: 'afternoon', start: '14:00' },
  ],
});

/** Runs `fn`, expecting a ValidationError with `code` whose field and message name `field`. */

const base = { id: 'standup', title: 'Stand-up' };

describe('parseTask', () => {
  describe('with friendly input', () => {
    it('fills the documented defaults', () => {
      const task = parseTask(base, undefined, NOW);
      expect(task).toEqual({
        id: 'standup',
        title: 'Stand-up',
        createdAt: NOW.toISOString(),
        priority: 'medium',
        preferredSlots: [],
        retry: { maxRetries: 0, delayMs: 3_600_000, backoff: 'fixed' },
      });
    });

    it('adds kind to a cron recurrence and normalises its whitespace', () => {
      const task = parseTask(
        { ...base, recurrence: { cron: ' 30  9 * * 1-5 ', timeZone: 'europe/berlin' } },
        calendar,
        NOW,
      );
      expect(task.recurrence).toEqual({
        kind: 'cron',
        cron: '30 9 * * 1-5',
        timeZone: 'Europe/Berlin',
      });
    });

    it('adds kind to an interval recurrence and canonicalises its anchor', () => {
      const task = parseTask(
        { ...base, recurrence: { everyMs: 60_000, anchor: '2026-03-02T10:00:00+01:00' } },
        undefined,
        NOW,
      );
      expect(task.recurrence).toEqual({
        kind: 'interval',
        everyMs: 60_000,
        anchor: '2026-03-02T09:00:00.000Z',
      });
    });

    it('keeps an explicit createdAt instead of now', () => {
      const task = parseTask({ ...base, createdAt: 0 }, undefined, NOW);
      expect(task.createdAt).toBe('1970-01-01T00:00:00.000Z');
    });

    it('validates to itself when read back from the log', () => {
      const task = parseTask(
        {
          ...base,
          recurrence: { cron: '0 9 * * *' },
          retry: { maxRetries: 3, backoff: 'exponential', maxDelayMs: 7_200_000 },
          preferredSlots: ['morning'],
          pinnedTime: '2026-03-09T10:00:00+01:00',
          handler: 'email',
          timeoutMs: 5_000,
          payload: { to: ['a@example.org'], n: 1, ok: true, none: null },
          description: 'daily',
          link: 'https://example.org/standup',
        },
        calendar,
        NOW,
      );
      expect(parseTask(JSON.parse(JSON.stringify(task)), calendar)).toEqual(task);
    });

    it('returns a deeply frozen value and leaves the input untouched', () => {
      const input = { ...base, payload: { list: [1, 2] }, retry: { maxRetries: 1 } };
      const snapshot = structuredClone(input);
      const task = parseTask(input, undefined, NOW);
      expect(input).toEqual(snapshot);
      expect(Object.isFrozen(task)).toBe(true);
      expect(Object.isFrozen(task.retry)).toBe(true);
      expect(Object.isFrozen(task.payload?.list)).toBe(true);
      expect(task.payload).not.toBe(input.payload);
    });
  });

  describe('rejects', () => {
    const code = 'planflow:invalid-task';
    const bad = (extra: Record<string, unknown>) => () =>
      parseTask({ ...base, ...extra }, calendar, NOW);

    it('a negative maxRetries', () => {
      const e = rejection(bad({ retry: { maxRetries: -1 } }), code, 'retry.maxRetries');
      expect(e.message).toContain('-1');
      expect(e.message).toContain('Task "standup"');
    });

    it('a fractional maxRetries', () => {
      rejection(bad({ retry: { maxRetries: 1.5 } }), code, 'retry.maxRetries');
    });

    it('an empty id', () => {
      rejection(() => parseTask({ id: '', title: 't' }, undefined, NOW), code, 'id');
    });

    it('a whitespace-only id', () => {
      rejection(() => parseTask({ id: '   ', title: 't' }, undefined, NOW), code, 'id');
    });

    it('an id with control characters', () => {
      rejection(() => parseTask({ id: 'a\nb', title: 't' }, undefined, NOW), code, 'id');
    });

    it('a bad cron expression (checked by croner)', () => {
      const e = rejection(bad({ recurrence: { cron: '61 * * * *' } }), code, 'recurrence.cron');
      expect(e.message).toContain('61 * * * *');
    });

    it('a cron expression that never fires', () => {
      rejection(bad({ recurrence: { cron: '0 0 30 2 *' } }), code, 'recurrence.cron');
    });

    it('an unknown IANA time zone on a recurrence', () => {
      const e = rejection(
        bad({ recurrence: { cron: '0 9 * * *', timeZone: 'Mars/Olympus' } }),
        code,
        'recurrence.timeZone',
      );
      expect(e.message).toContain('Mars/Olympus');
    });

    it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY, 1.5])('an interval of %s', (everyMs) => {
      rejection(bad({ recurrence: { everyMs } }), code, 'recurrence.everyMs');
    });

    it('a recurrence with both cron and everyMs', () => {
      rejection(bad({ recurrence: { cron: '0 9 * * *', everyMs: 1000 } }), code, 'recurrence');
    });

    it('an invalid date', () => {
      rejection(bad({ startAt: new Date(Number.NaN) }), code, 'startAt');
    });

    it('a date string without an offset', () => {
      const e = rejection(bad({ pinnedTime: '2026-03-09T10:00' }), code, 'pinnedTime');
      expect(e.message).toContain('offset');
    });

    it('a preferred slot that is not in the calendar slot pool', () => {
      const e = rejection(bad({ preferredSlots: ['evening'] }), code, 'preferredSlots[0]');
      expect(e.message).toContain('"morning"');
    });

    it('duplicate preferred slots', () => {
      rejection(bad({ preferredSlots: ['morning', 'morning'] }), code, 'preferredSlots');
    });

    it('a payload that is not JSON', () => {
      rejection(bad({ payload: { when: new Date(0) } }), code, 'payload.when');
      rejection(bad({ payload: { run: () => 1 } }), code, 'payload.run');
      rejection(bad({ payload: { list: [1, Number.NaN] } }), code, 'payload.list[1]');
      rejection(bad({ payload: 'text' }), code, 'payload');
    });

    it('a cyclic payload', () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(bad({ payload: cyclic })).toThrow(ValidationError);
    });

    it('an unknown priority', () => {
      rejection(bad({ priority: 'urgent' }), code, 'priority');
    });

    it('a misspelt field, naming the known ones', () => {
      const e = rejection(bad({ prefferedSlots: [] }), code, 'prefferedSlots');
      expect(e.message).toContain('preferredSlots');
    });

    it('a missing createdAt when no now is given', () => {
      rejection(() => parseTask(base), code, 'createdAt');
    });

    it('a non-object', () => {
      expect(() => parseTask(null, undefined, NOW)).toThrow(ValidationError);
      expect(() => parseTask([base], undefined, NOW)).toThrow(ValidationError);
    });
  });
});

describe('parseRetryPolicy', () => {
  it('fills defaults: one hour, fixed, never retry', () => {
    expect(parseRetryPolicy({})).toEqual({ maxRetries: 0, delayMs: 3_600_000, backoff: 'fixed' });
  });

  it('rejects a maxDelayMs below delayMs', () => {
    rejection(
      () => parseRetryPolicy({ maxRetries: 1, delayMs: 10_000, maxDelayMs: 5_000 }),
      'planflow:invalid-task',
      'maxDelayMs',
    );
  });

  it('rejects an unknown backoff', () => {
    rejection(() => parseRetryPolicy({ backoff: 'linear' }), 'planflow:invalid-task', 'backoff');
  });
});

describe('parseRecurrence', () => {
  it('accepts the stored form with kind', () => {
    expect(parseRecurrence({ kind: 'interval', everyMs: 5 })).toEqual({
      kind: 'interval',
      everyMs: 5,
    });
  });

  it('rejects an empty object, saying what a recurrence looks like', () => {
    const e = rejection(() => parseRecurrence({}), 'planflow:invalid-task', '');
    expect(e.message).toContain('everyMs');
  });

  it('rejects a kind that contradicts the fields', () => {
    rejection(
      () => parseRecurrence({ kind: 'interval', cron: '0 9 * * *' }),
      'planflow:invalid-task',
      'cron',
    );
  });
});
