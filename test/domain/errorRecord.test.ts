import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_ERROR_CAUSE_DEPTH,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_ERROR_NAME_LENGTH,
  TRUNCATION_MARKER,
  toErrorRecord,
} from '../../src/domain/errorRecord.js';
import type { ErrorRecord } from '../../src/domain/types.js';
import { hostileValues, TEN_MB } from '../helpers/hostileValues.js';

/** Asserts what every record must be: plain JSON that reads back equal, within bounds. */
function expectSafe(record: ErrorRecord, depth = 0): void {
  expect(typeof record.name).toBe('string');
  expect(typeof record.message).toBe('string');
  expect(record.name.length).toBeLessThanOrEqual(MAX_ERROR_NAME_LENGTH);
  expect(record.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_LENGTH);
  expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  expect(
    Object.keys(record).every((k) =>
      ['name', 'message', 'timedOut', 'truncated', 'cause'].includes(k),
    ),
  ).toBe(true);
  if (record.cause !== undefined) {
    expect(depth).toBeLessThan(MAX_ERROR_CAUSE_DEPTH);
    expectSafe(record.cause, depth + 1);
  }
}

describe('toErrorRecord', () => {
  describe('given a hostile thrown value', () => {
    for (const [label, make] of hostileValues) {
      it(`never throws and gives a bounded, JSON-safe record: ${label}`, () => {
        const record = toErrorRecord(make());
        expectSafe(record);
      });
    }
  });

  it('keeps an error’s name and message, and marks a TimeoutError timedOut', () => {
    expect(toErrorRecord(new TypeError('bad'))).toEqual({ name: 'TypeError', message: 'bad' });
    const timeout = Object.assign(new Error('slow'), { name: 'TimeoutError' });
    expect(toErrorRecord(timeout)).toEqual({
      name: 'TimeoutError',
      message: 'slow',
      timedOut: true,
    });
  });

  it('describes non-errors: strings as is, objects as JSON, other values as String()', () => {
    expect(toErrorRecord('plain')).toEqual({ name: 'Error', message: 'plain' });
    expect(toErrorRecord({ code: 7 })).toEqual({ name: 'Error', message: '{"code":7}' });
    expect(toErrorRecord(undefined).message).toBe('undefined');
    expect(toErrorRecord(Symbol('s')).message).toBe('Symbol(s)');
    expect(toErrorRecord(12n).message).toBe('12');
  });

  it('cuts a 10 MB message to the bound, ends it with the marker and says truncated', () => {
    const record = toErrorRecord(new RangeError('x'.repeat(TEN_MB)));
    expect(record.name).toBe('RangeError');
    expect(record.message).toHaveLength(MAX_ERROR_MESSAGE_LENGTH);
    expect(record.message.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(record.truncated).toBe(true);
    expect(toErrorRecord(new Error('short')).truncated).toBeUndefined();
  });

  it('cuts a long name to its bound, still recognising TimeoutError by the whole name', () => {
    const record = toErrorRecord(Object.assign(new Error('m'), { name: 'N'.repeat(1_000) }));
    expect(record.name).toHaveLength(MAX_ERROR_NAME_LENGTH);
    expect(record.truncated).toBe(true);
  });

  it('does not split a surrogate pair where it cuts', () => {
    const record = toErrorRecord(new Error('😀'.repeat(MAX_ERROR_MESSAGE_LENGTH)));
    expect(record.truncated).toBe(true);
    const kept = record.message.slice(0, -TRUNCATION_MARKER.length);
    expect(kept).toBe('😀'.repeat(kept.length / 2));
  });

  it('records the cause chain to a bounded depth, so a cyclic chain ends', () => {
    const root = new Error('root');
    const chain = new Error('top', { cause: new Error('middle', { cause: root }) });
    expect(toErrorRecord(chain)).toEqual({
      name: 'Error',
      message: 'top',
      cause: { name: 'Error', message: 'middle', cause: { name: 'Error', message: 'root' } },
    });
    let depth = 0;
    for (let r: ErrorRecord | undefined = toErrorRecord(hostileValues[11]![1]()); r; r = r.cause) {
      depth++;
    }
    expect(depth).toBe(MAX_ERROR_CAUSE_DEPTH + 1);
  });

  it('names the parts it could not read', () => {
    const [, throwingMessage] = hostileValues[1]!;
    expect(toErrorRecord(throwingMessage())).toEqual({
      name: 'Error',
      message: '[the message could not be read]',
    });
    const [, throwingName] = hostileValues[0]!;
    expect(toErrorRecord(throwingName())).toMatchObject({
      name: 'Error',
      message: 'with a hostile getter',
    });
    expect(toErrorRecord(new AggregateError([1, 2], 'all failed')).message).toBe(
      'all failed (2 errors)',
    );
  });

  it('is total: for any value, never throws, JSON-safe and within bounds (property)', () => {
    // fast-check inspects generated values itself, so hostile ones are made inside the property.
    const hostile = fc.integer({ min: 0, max: hostileValues.length - 1 });
    const thrown = fc.oneof(
      fc.anything({ withBigInt: true, withMap: true, withSet: true, withDate: true }),
      fc.string().map((message) => new Error(message)),
      fc
        .tuple(fc.anything({ withBigInt: true }), fc.anything({ withBigInt: true }))
        .map(([name, message]) => Object.assign(new Error(), { name, message })),
      fc.anything().map((cause) => new Error('wrapped', { cause })),
    );
    fc.assert(
      fc.property(thrown, hostile, fc.boolean(), (value, index, useHostile) => {
        const subject = useHostile ? hostileValues[index]![1]() : value;
        expectSafe(toErrorRecord(subject));
        // Hostile values also as a cause and as a message of a real error.
        expectSafe(toErrorRecord(new Error('outer', { cause: subject })));
        expectSafe(toErrorRecord(Object.assign(new Error(), { message: subject })));
      }),
      { numRuns: 150 },
    );
  });
});
