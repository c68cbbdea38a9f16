import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import { parseCalendar } from '../../src/domain/validateCalendar.js';
import { parseInstant } from '../../src/domain/validateInstant.js';
import { parseOccurrence } from '../../src/domain/validateOccurrence.js';
import { parseRecurrence } from '../../src/domain/validateRecurrence.js';
import { parseRetryPolicy } from '../../src/domain/validateRetryPolicy.js';
import { parseTask } from '../../src/domain/validateTask.js';

const NOW = new Date('2026-03-02T08:00:00.000Z');

/** Freezes an arbitrary value in place so any attempt to mutate it throws a TypeError. */
function freezeAll<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value))
      freezeAll((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}

/** Either a value, or a ValidationError — anything else (TypeError, RangeError…) fails. */
function outcome(fn: () => unknown): 'ok' | 'invalid' {
  try {
    fn();
    return 'ok';
  } catch (error) {
    if (error instanceof ValidationError) return 'invalid';
    throw error;
  }
}

/** Values that are almost right, so generated inputs also reach the deeper checks. */
const nearly = fc.oneof(
  fc.anything(),
  fc.constantFrom(
    'standup',
    '',
    ' ',
    '09:30',
    '24:00',
    '9:3',
    'Europe/Berlin',
    'Mars/Base',
    '30 9 * * 1-5',
    '61 * * * *',
    '2026-03-02T09:00:00Z',
    '2026-03-02T09:00:00',
    'morning',
    'high',
    'exponential',
    'mon',
    -1,
    0,
    1.5,
    3,
    60_000,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    null,
  ),
);

const taskish = fc.record(
  {
    id: nearly,
    title: nearly,
    createdAt: nearly,
    startAt: nearly,
    priority: nearly,
    preferredSlots: fc.oneof(nearly, fc.array(nearly, { maxLength: 3 })),
    pinnedTime: nearly,
    payload: nearly,
    timeoutMs: nearly,
    recurrence: fc.oneof(
      nearly,
      fc.record({ cron: nearly, timeZone: nearly }, { requiredKeys: [] }),
      fc.record({ everyMs: nearly, anchor: nearly }, { requiredKeys: [] }),
    ),
    retry: fc.oneof(
      nearly,
      fc.record(
        { maxRetries: nearly, delayMs: nearly, backoff: nearly, maxDelayMs: nearly },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);

const slotish = fc.record({ id: nearly, start: nearly }, { requiredKeys: [] });
const calendarish = fc.record(
  {
    timeZone: nearly,
    slots: fc.oneof(nearly, fc.array(slotish, { maxLength: 3 })),
    workingHours: fc.oneof(
      nearly,
      fc.dictionary(
        fc.constantFrom('mon', 'tue', 'sun', 'monday'),
        fc.record({ start: nearly, end: nearly, slots: nearly }, { requiredKeys: [] }),
      ),
    ),
    maxPerDay: nearly,
    holidays: nearly,
  },
  { requiredKeys: [] },
);

const runs = { numRuns: 300 };

describe('validation on arbitrary input', () => {
  it('parseTask returns a re-parseable task or throws a ValidationError, never mutating input', () => {
    fc.assert(
      fc.property(fc.oneof(taskish, fc.anything()), (input) => {
        freezeAll(input);
        let task: unknown;
        const result = outcome(() => {
          task = parseTask(input, undefined, NOW);
        });
        if (result === 'ok') {
          expect(Object.isFrozen(task)).toBe(true);
          expect(parseTask(JSON.parse(JSON.stringify(task)))).toEqual(task);
        }
      }),
      runs,
    );
  });

  it('parseCalendar returns a re-parseable calendar or throws a ValidationError', () => {
    fc.assert(
      fc.property(fc.oneof(calendarish, fc.anything()), (input) => {
        freezeAll(input);
        let calendar: unknown;
        if (outcome(() => (calendar = parseCalendar(input))) === 'ok') {
          expect(parseCalendar(JSON.parse(JSON.stringify(calendar)))).toEqual(calendar);
        }
      }),
      runs,
    );
  });

  it('the other parsers only ever throw ValidationError', () => {
    fc.assert(
      fc.property(
        fc.oneof(nearly, fc.record({ cron: nearly }), fc.date({ noInvalidDate: false })),
        (input) => {
          freezeAll(input);
          outcome(() => parseInstant(input));
          outcome(() => parseRecurrence(input));
          outcome(() => parseRetryPolicy(input));
          outcome(() => parseOccurrence(input));
        },
      ),
      runs,
    );
  });

  it('parseInstant agrees with Date on every valid instant', () => {
    fc.assert(
      fc.property(
        fc.date({
          noInvalidDate: true,
          min: new Date('0000-01-01T00:00:00.000Z'),
          max: new Date('9999-12-31T23:59:59.999Z'),
        }),
        (date) => {
          expect(parseInstant(date.toISOString())).toBe(date.toISOString());
          expect(parseInstant(date.getTime())).toBe(date.toISOString());
        },
      ),
      runs,
    );
  });
});
