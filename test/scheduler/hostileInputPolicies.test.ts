import { describe, expect, it } from 'vitest';
import { isPlanflowError } from '../../src/domain/errors.js';
import { parseOccurrence } from '../../src/domain/validateOccurrence.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { applyTaskChanges } from '../../src/domain/validateTaskChanges.js';
import { at, HOUR, manualTask, T0, useHarnesses } from '../helpers/harness.js';
import { ofType } from '../helpers/logQueries.js';

// Hostile input for the catch-up and overlap policies and for backfill: every bad value is a
// ValidationError naming the field and the fix, nothing is recorded, and the scheduler keeps
// running.

const { setUp } = useHarnesses();
const NOW = new Date(T0);
const base = { ...manualTask('t'), recurrence: { everyMs: HOUR } };

function refusal(input: unknown): { field: string; message: string } {
  try {
    parseTask(input, undefined, NOW);
  } catch (error) {
    expect(isPlanflowError(error, 'planflow:invalid-task')).toBe(true);
    const e = error as Error & { field: string };
    return { field: e.field, message: e.message };
  }
  throw new Error('expected a refusal');
}

describe('task catchUp and overlap input', () => {
  it.each([
    ['a string', 'all', 'catchUp'],
    ['null', null, 'catchUp'],
    ['an array', ['all'], 'catchUp'],
    ['no policy', {}, 'catchUp.policy'],
    ['an unknown policy', { policy: 'some' }, 'catchUp.policy'],
    ['a negative window', { policy: 'all', windowMs: -1 }, 'catchUp.windowMs'],
    ['a fractional window', { policy: 'all', windowMs: 1.5 }, 'catchUp.windowMs'],
    ['a window over a year', { policy: 'all', windowMs: 400 * 24 * HOUR }, 'catchUp.windowMs'],
    ['a zero cap', { policy: 'all', maxRuns: 0 }, 'catchUp.maxRuns'],
    ['a cap of 10 001', { policy: 'all', maxRuns: 10_001 }, 'catchUp.maxRuns'],
    ['a cap without policy all', { policy: 'latest', maxRuns: 5 }, 'catchUp.maxRuns'],
    ['an unknown key', { policy: 'all', maxRun: 5 }, 'catchUp.maxRun'],
    ['a __proto__ key', JSON.parse('{"policy":"all","__proto__":{"x":1}}'), 'catchUp.__proto__'],
  ])('refuses %s as catchUp', (_name, catchUp, field) => {
    const { field: at, message } = refusal({ ...base, catchUp });
    expect(at).toBe(field);
    expect(message).toMatch(/^Task "t": catchUp/);
  });

  it.each([
    ['an unknown policy', 'buffer'],
    ['a wrong case', 'bufferall'],
    ['a number', 1],
    ['null', null],
  ])('refuses %s as overlap, listing the policies', (_name, overlap) => {
    const { field, message } = refusal({ ...base, overlap });
    expect(field).toBe('overlap');
    expect(message).toContain('bufferOne');
  });

  it('stores the defaults as nothing, so a task read back validates to itself', () => {
    const task = parseTask(
      { ...base, catchUp: { policy: 'skip' }, overlap: 'skip' },
      undefined,
      NOW,
    );
    expect(task).not.toHaveProperty('catchUp');
    expect(task).not.toHaveProperty('overlap');
    const kept = parseTask(
      { ...base, catchUp: { policy: 'all', maxRuns: 5, windowMs: HOUR }, overlap: 'bufferAll' },
      undefined,
      NOW,
    );
    expect(parseTask(JSON.parse(JSON.stringify(kept)))).toEqual(kept);
  });

  it('updateTask merges catchUp field by field and drops maxRuns off policy all', () => {
    const task = parseTask({ ...base, catchUp: { policy: 'all', maxRuns: 5 } }, undefined, NOW);
    expect(applyTaskChanges(task, { catchUp: { windowMs: HOUR } as never }).catchUp).toEqual({
      policy: 'all',
      maxRuns: 5,
      windowMs: HOUR,
    });
    expect(applyTaskChanges(task, { catchUp: { policy: 'latest' } }).catchUp).toEqual({
      policy: 'latest',
    });
    expect(applyTaskChanges(task, { catchUp: null }).catchUp).toBeUndefined();
  });

  it('refuses a slot or through that is not an instant on an occurrence', () => {
    const occurrence = { id: 'o_1', taskId: 't', scheduledFor: at(0), cause: 'catch-up' };
    expect(() => parseOccurrence({ ...occurrence, slot: 'yesterday' })).toThrow(/slot must be/);
    expect(() => parseOccurrence({ ...occurrence, through: 5.5 })).toThrow(/through must be/);
    expect(() => parseOccurrence({ ...occurrence, cause: 'catchup' })).toThrow(/backfill/);
  });
});

describe('backfill input', () => {
  it.each([
    ['undefined', undefined],
    ['a string', '2026-03-01'],
    ['from as a local time', { from: '2026-03-01T09:00', to: at(0) }],
    ['from as NaN', { from: Number.NaN, to: at(0) }],
    ['to as an object', { from: at(-HOUR), to: {} }],
    ['an overlap of skip', { from: at(-HOUR), to: at(0), overlap: 'skip' }],
    ['an unknown key', { from: at(-HOUR), to: at(0), count: 3 }],
  ])('refuses %s as its options, records nothing and keeps running', async (_name, options) => {
    const h = setUp();
    await h.scheduler.defineTask(base);
    await h.scheduler.start();
    await h.clock.settle();
    const before = (await h.events()).length;
    const error = await h.scheduler.backfill('t', options as never).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPlanflowError(error, 'planflow:invalid-input')).toBe(true);
    expect((error as Error).message).toMatch(/^SmartScheduler\.backfill: options/);
    expect(await h.events()).toHaveLength(before);
    expect(h.scheduler.status).toBe('running');
    expect(
      ofType(await h.events(), 'occurrence.scheduled').map((e) => e.data.occurrence.cause),
    ).toEqual(['initial', 'recurrence']);
  });

  it.each([
    ['null', null],
    ['a number', 5],
    ['a blank string', '  '],
  ])('refuses %s as the task id', async (_name, taskId) => {
    const h = setUp();
    const error = await h.scheduler.backfill(taskId as never, { from: at(-HOUR), to: at(0) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPlanflowError(error, 'planflow:invalid-input')).toBe(true);
    expect((error as Error).message).toContain('backfill');
  });
});
