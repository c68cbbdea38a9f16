import { describe, expect, it } from 'vitest';
import { isPlanflowError } from '../../src/domain/errors.js';
import { createScheduler } from '../../src/scheduler/createScheduler.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('createScheduler options', () => {
  it.each([
    [{ calendar: { timeZone: 'Mars/Olympus_Mons' } }, 'planflow:invalid-calendar', /timeZone/],
    [{ graceMs: -1 }, 'planflow:invalid-options', /graceMs/],
    [{ horizonMs: Number.NaN }, 'planflow:invalid-options', /horizonMs/],
    [{ handlers: { send: 'not a function' } }, 'planflow:invalid-options', /handlers\.send/],
    [{ clock: { later: () => 0 } }, 'planflow:invalid-options', /clock/],
  ] as const)('rejects %j at once with a typed error naming the field', (options, code, field) => {
    const error = thrown(() => createScheduler(options as never));
    expect(isPlanflowError(error, code)).toBe(true);
    expect((error as Error).message).toMatch(field);
  });

  it('accepts Infinity as the horizon (every pending occurrence a live actor)', async () => {
    const scheduler = createScheduler({ horizonMs: Number.POSITIVE_INFINITY });
    await scheduler.ready;
    await scheduler.stop();
  });
});
