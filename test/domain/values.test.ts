import { describe, expect, it } from 'vitest';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import { occurrenceId } from '../../src/domain/occurrenceId.js';
import { parseInstant } from '../../src/domain/validateInstant.js';
import { parseOccurrence } from '../../src/domain/validateOccurrence.js';
import { rejection } from '../helpers/rejection.js';

describe('parseInstant', () => {
  it.each([
    [new Date('2026-03-29T07:30:00.000Z'), '2026-03-29T07:30:00.000Z'],
    ['2026-03-29T09:30:00+02:00', '2026-03-29T07:30:00.000Z'],
    ['2026-03-29T09:30+0200', '2026-03-29T07:30:00.000Z'],
    ['2026-03-29T07:30:00.123456Z', '2026-03-29T07:30:00.123Z'],
    ['2026-03-28T20:00:00-05:30', '2026-03-29T01:30:00.000Z'],
    [0, '1970-01-01T00:00:00.000Z'],
  ])('reads %s as %s', (input, expected) => {
    expect(parseInstant(input)).toBe(expected);
  });

  it.each([
    ['an invalid Date', new Date(Number.NaN)],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a fractional epoch', 1.5],
    ['a string without offset', '2026-03-29T09:30:00'],
    ['a date-only string', '2026-03-29'],
    ['February 30th', '2026-02-30T09:30:00Z'],
    ['hour 24', '2026-03-29T24:00:00Z'],
    ['an offset of 24 hours', '2026-03-29T09:30:00+24:00'],
    ['an object', { at: 1 }],
    ['garbage', 'tomorrow'],
  ])('rejects %s', (_label, input) => {
    const e = rejection(() => parseInstant(input, 'at'), 'planflow:invalid-input', 'at');
    expect(e.message).toContain('offset');
  });
});

describe('occurrenceId', () => {
  it('is deterministic, short and prefixed', () => {
    const a = occurrenceId('standup', 'recurrence', '2026-03-30T07:30:00.000Z', 0);
    expect(a).toMatch(/^o_[0-9a-f]{20}$/);
    expect(occurrenceId('standup', 'recurrence', '2026-03-30T07:30:00.000Z', 0)).toBe(a);
  });

  it('differs when any of its inputs differs', () => {
    const ids = new Set([
      occurrenceId('standup', 'recurrence', '2026-03-30T07:30:00.000Z', 0),
      occurrenceId('standup2', 'recurrence', '2026-03-30T07:30:00.000Z', 0),
      occurrenceId('standup', 'retry', '2026-03-30T07:30:00.000Z', 0),
      occurrenceId('standup', 'recurrence', '2026-03-30T07:31:00.000Z', 0),
      occurrenceId('standup', 'recurrence', '2026-03-30T07:30:00.000Z', 1),
    ]);
    expect(ids.size).toBe(5);
  });
});

describe('makeOccurrence', () => {
  it('derives the id and normalises the instant, whatever its spelling', () => {
    const fromDate = makeOccurrence({
      taskId: 't',
      cause: 'retry',
      scheduledFor: new Date('2026-03-30T07:30:00Z'),
      attempt: 1,
      parentId: 'o_parent',
      slotName: undefined,
    });
    const fromString = makeOccurrence({
      taskId: 't',
      cause: 'retry',
      scheduledFor: '2026-03-30T09:30:00+02:00',
      attempt: 1,
      parentId: 'o_parent',
    });
    expect(fromDate).toEqual(fromString);
    expect(fromDate.id).toBe(occurrenceId('t', 'retry', '2026-03-30T07:30:00.000Z', 1));
    expect('slotName' in fromDate).toBe(false);
    expect(Object.isFrozen(fromDate)).toBe(true);
  });
});

describe('parseOccurrence', () => {
  const valid = {
    id: 'o_1',
    taskId: 't',
    scheduledFor: '2026-03-30T09:30:00+02:00',
    attempt: 2,
    cause: 'retry',
    parentId: 'o_0',
    slotName: 'morning',
  };

  it('returns a frozen canonical occurrence that keeps its stored id', () => {
    const occurrence = parseOccurrence(valid);
    expect(occurrence).toEqual({ ...valid, scheduledFor: '2026-03-30T07:30:00.000Z' });
    expect(Object.isFrozen(occurrence)).toBe(true);
  });

  it.each([
    ['attempt', { attempt: -1 }],
    ['attempt', { attempt: 0.5 }],
    ['cause', { cause: 'because' }],
    ['scheduledFor', { scheduledFor: 'soon' }],
    ['taskId', { taskId: '' }],
    ['id', { id: '\u0007' }],
  ])('rejects a bad %s', (field, patch) => {
    rejection(() => parseOccurrence({ ...valid, ...patch }), 'planflow:invalid-occurrence', field);
  });
});
