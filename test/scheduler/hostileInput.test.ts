import { describe, expect, it } from 'vitest';
import { isPlanflowError, ValidationError } from '../../src/domain/errors.js';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import { parseHistoryQuery } from '../../src/domain/validateHistoryQuery.js';
import { parseId } from '../../src/domain/validateId.js';
import { JSON_LIMITS } from '../../src/domain/validateJson.js';
import { parseOccurrenceQuery } from '../../src/domain/validateOccurrenceQuery.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { applyTaskChanges } from '../../src/domain/validateTaskChanges.js';
import { parseTriggerTarget } from '../../src/domain/validateTriggerTarget.js';
import { memoryStore } from '../../src/log/memoryStore.js';
import { resolveMemoryStoreOptions } from '../../src/log/storeOptions.js';
import { createScheduler } from '../../src/scheduler/createScheduler.js';
import { resolveSqliteStoreOptions } from '../../src/sqlite/sqliteStoreOptions.js';
import { TimerQueue } from '../../src/time/TimerQueue.js';
import {
  HOUR,
  manualTask,
  OFFICE_HOURS,
  occurrenceAt,
  T0,
  useHarnesses,
} from '../helpers/harness.js';

const { setUp } = useHarnesses();
const NOW = new Date(T0);

/** What `fn` threw, or a failure when it returned. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw, but the call returned');
}

function deepArray(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

// Finding 6 of "Hostile input and faults": wrong-typed arguments escaped validation as
// TypeErrors or RangeErrors, unknown option keys were ignored, payloads had no limits and a
// `__proto__` key reached the returned task.
describe('finding 6: wrong-typed arguments are refused with a ValidationError', () => {
  describe('createScheduler', () => {
    it.each([
      ['null', null],
      ['a number', 5],
      ['an array', []],
      ['a string', 'options'],
    ])('refuses %s as its options', (_name, options) => {
      const error = thrown(() => createScheduler(options as never));
      expect(isPlanflowError(error, 'planflow:invalid-options')).toBe(true);
      expect((error as Error).message).toMatch(/SmartScheduler: options must be an object/);
    });

    it('refuses an idGenerator that is not a function', () => {
      const error = thrown(() => createScheduler({ idGenerator: 5 } as never));
      expect(error).toMatchObject({
        code: 'planflow:invalid-options',
        field: 'options.idGenerator',
      });
    });

    it('refuses an idGenerator that returns no string', () => {
      const error = thrown(() => createScheduler({ idGenerator: () => 7 } as never));
      expect(error).toMatchObject({
        code: 'planflow:invalid-options',
        field: 'options.idGenerator',
      });
    });

    it.each([
      ['graceMS', 'graceMs'],
      ['horizonMS', 'horizonMs'],
      ['handler', 'handlers'],
    ])('refuses the unknown option %s and suggests %s', (key, near) => {
      const error = thrown(() => createScheduler({ [key]: 1 } as never));
      expect(error).toMatchObject({ code: 'planflow:invalid-options', field: `options.${key}` });
      expect((error as Error).message).toContain(`did you mean "${near}"?`);
    });

    it('refuses the unknown option parallelism, listing the known ones', () => {
      const error = thrown(() => createScheduler({ parallelism: 4 } as never));
      expect((error as Error).message).toMatch(
        /options\.parallelism is not a known option; use one of: store, calendar/,
      );
    });

    it('refuses handlers given as an array', () => {
      const error = thrown(() => createScheduler({ handlers: [() => 1] } as never));
      expect(error).toMatchObject({ code: 'planflow:invalid-options' });
    });
  });

  describe('TimerQueue and the stores', () => {
    it.each([null, 5, []])('TimerQueue refuses %j as its options', (options) => {
      expect(
        isPlanflowError(
          thrown(() => new TimerQueue(options as never)),
          'planflow:invalid-options',
        ),
      ).toBe(true);
    });

    it('TimerQueue refuses an unknown option with a suggestion', () => {
      const error = thrown(() => new TimerQueue({ maxWaitMS: 10 } as never));
      expect((error as Error).message).toContain('did you mean "maxWaitMs"?');
    });

    it('store append and read refuse unknown keys and non-objects', async () => {
      const store = memoryStore();
      await expect(store.append([], { expectedSeqq: 0 } as never)).rejects.toMatchObject({
        code: 'planflow:invalid-options',
      });
      await expect(store.append([], null as never)).rejects.toBeInstanceOf(ValidationError);
      const read = async () => {
        for await (const _ of store.read({ fromseq: 1 } as never)) break;
      };
      await expect(read()).rejects.toMatchObject({ code: 'planflow:invalid-options' });
    });

    it('the store option resolvers refuse null, unknown keys and bad paths', () => {
      expect(thrown(() => resolveMemoryStoreOptions(null))).toBeInstanceOf(ValidationError);
      expect((thrown(() => resolveMemoryStoreOptions({ clok: {} })) as Error).message).toContain(
        'did you mean "clock"?',
      );
      expect(thrown(() => resolveSqliteStoreOptions({ path: 1n }))).toBeInstanceOf(ValidationError);
      expect(thrown(() => resolveSqliteStoreOptions({ path: 'a\0b' }))).toBeInstanceOf(
        ValidationError,
      );
      expect(
        thrown(() => resolveSqliteStoreOptions({ path: 'x.db', verifyOnopen: true })),
      ).toBeInstanceOf(ValidationError);
    });
  });

  describe('ids, queries and targets', () => {
    it('parseTriggerTarget refuses null and a target naming both or neither', () => {
      for (const target of [
        null,
        undefined,
        {},
        { taskId: 'a', occurrenceId: 'b' },
        { task: 'a' },
      ]) {
        expect(
          isPlanflowError(
            thrown(() => parseTriggerTarget(target)),
            'planflow:invalid-input',
          ),
        ).toBe(true);
      }
      expect(parseTriggerTarget({ taskId: 'a' })).toEqual({ taskId: 'a' });
    });

    it('parseHistoryQuery refuses undefined and a query with a wrong-typed id', () => {
      for (const query of [undefined, null, { taskId: 5 }, { occurrenceId: [] }]) {
        expect(
          isPlanflowError(
            thrown(() => parseHistoryQuery(query)),
            'planflow:invalid-input',
          ),
        ).toBe(true);
      }
      expect(parseHistoryQuery({ occurrenceId: 'o_1' })).toEqual({
        occurrenceId: 'o_1',
        limit: 1000,
        descending: false,
      });
      for (const query of [
        { taskId: 'a', limit: 0 },
        { taskId: 'a', limit: 10_001 },
        { taskId: 'a', cursor: 'pf1:x' },
        { taskId: 'a', order: 'up' },
        { taskId: 'a', from: 'yesterday' },
      ]) {
        expect(thrown(() => parseHistoryQuery(query))).toBeInstanceOf(ValidationError);
      }
    });

    it('parseId refuses a 5 000-deep array without overflowing the stack', () => {
      const error = thrown(() => parseId(deepArray(5000), 'cancelOccurrence', 'occurrenceId'));
      expect(error).toMatchObject({ code: 'planflow:invalid-input', field: 'occurrenceId' });
      expect((error as Error).message).toContain('SmartScheduler.cancelOccurrence');
    });

    it('parseOccurrenceQuery refuses an unknown state and an unknown key', () => {
      expect(thrown(() => parseOccurrenceQuery({ state: 'sheduled' }))).toBeInstanceOf(
        ValidationError,
      );
      expect((thrown(() => parseOccurrenceQuery({ taskID: 'a' })) as Error).message).toContain(
        'did you mean "taskId"?',
      );
      expect(parseOccurrenceQuery(undefined)).toEqual({ limit: 1000, descending: false });
      expect(
        parseOccurrenceQuery({
          state: 'done',
          from: '2026-03-02T08:00:00Z',
          cursor: 'pf1:42',
          order: 'desc',
        }),
      ).toEqual({
        states: ['done'],
        fromMs: Date.parse('2026-03-02T08:00:00Z'),
        limit: 1000,
        after: 42,
        descending: true,
      });
    });
  });

  describe('payload limits and prototype keys', () => {
    it('refuses a 50 MB payload string through defineTask and records nothing', async () => {
      const h = setUp();
      await h.scheduler.ready;
      const before = (await h.events()).length;
      const huge = 'x'.repeat(50 * 2 ** 20);
      await expect(
        h.scheduler.defineTask({ ...manualTask('big'), payload: { huge } }),
      ).rejects.toMatchObject({ code: 'planflow:invalid-task', field: 'payload.huge' });
      expect((await h.events()).length).toBe(before);
    });

    it('refuses a payload past the size limit made of many small strings', () => {
      const many = Object.fromEntries(
        Array.from({ length: 20_000 }, (_, i) => [`k${i}`, 'abcdefghij']),
      );
      const error = thrown(() => parseTask({ id: 'a', title: 'A', payload: many }, undefined, NOW));
      expect((error as Error).message).toContain(`at most ${JSON_LIMITS.maxLength} characters`);
    });

    it('refuses a payload nested deeper than the limit, even 5 000 deep', () => {
      const error = thrown(() =>
        parseTask({ id: 'a', title: 'A', payload: { x: deepArray(5000) } }, undefined, NOW),
      );
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toContain(`nested at most ${JSON_LIMITS.maxDepth} levels`);
    });

    it.each(['__proto__', 'constructor', 'prototype'])(
      'refuses a payload key %s instead of dropping it from the log',
      async (key) => {
        const h = setUp();
        await h.scheduler.ready;
        const input = JSON.parse(
          `{"id":"p","title":"P","payload":{"a":{"${key}":{"polluted":true}}}}`,
        );
        await expect(h.scheduler.defineTask(input)).rejects.toMatchObject({
          code: 'planflow:invalid-task',
          field: `payload.a.${key}`,
        });
        expect(h.scheduler.getTask('p')).toBeUndefined();
      },
    );

    it('refuses a __proto__ key at the top of a task and of a calendar', () => {
      const task = JSON.parse('{"id":"p","title":"P","__proto__":{"x":1}}');
      expect(thrown(() => parseTask(task, undefined, NOW))).toMatchObject({ field: '__proto__' });
      const h = setUp();
      const calendar = JSON.parse('{"timeZone":"UTC","__proto__":{"maxPerDay":1}}');
      return expect(h.scheduler.configureCalendar(calendar)).rejects.toBeInstanceOf(
        ValidationError,
      );
    });

    it('returns frozen plain objects for an accepted payload', () => {
      const task = parseTask(
        { id: 'a', title: 'A', payload: { list: [{ x: 1 }] } },
        undefined,
        NOW,
      );
      expect(Object.isFrozen(task.payload)).toBe(true);
      expect(Object.getPrototypeOf(task.payload)).toBe(Object.prototype);
      expect(Object.isFrozen((task.payload!.list as object[])[0])).toBe(true);
    });
  });

  describe('handlers and task changes', () => {
    it('refuses a task naming an unregistered handler, suggesting the registered one', () => {
      const error = thrown(() =>
        parseTask({ id: 'a', title: 'A', handler: 'pnig' }, undefined, NOW, ['ping']),
      );
      expect(error).toMatchObject({ code: 'planflow:invalid-task', field: 'handler' });
      expect((error as Error).message).toContain('Did you mean "ping"?');
    });

    it('merges retry changes field by field and removes a field given as null', () => {
      const task = parseTask(
        { id: 'a', title: 'A', retry: { maxRetries: 2, delayMs: 1000 }, link: 'https://x.test' },
        undefined,
        NOW,
      );
      const changed = applyTaskChanges(task, { retry: { maxRetries: 5 }, link: null });
      expect(changed.retry).toEqual({ maxRetries: 5, delayMs: 1000, backoff: 'fixed' });
      expect(changed.link).toBeUndefined();
      expect(changed.createdAt).toBe(task.createdAt);
    });

    it('refuses a change of id or createdAt, and an unknown key', () => {
      const task = parseTask({ id: 'a', title: 'A' }, undefined, NOW);
      expect(thrown(() => applyTaskChanges(task, { id: 'b' } as never))).toMatchObject({
        field: 'id',
      });
      expect(
        (thrown(() => applyTaskChanges(task, { tilte: 'B' } as never)) as Error).message,
      ).toContain('did you mean "title"?');
    });
  });
});

// Finding 8: scheduling a known occurrence id with another time and task returned 'armed';
// it fired at the new time while the log still said the old one.
describe('finding 8: a recorded occurrence id with other content is refused, not re-armed', () => {
  async function running() {
    const h = setUp({ calendar: OFFICE_HOURS });
    for (const id of ['a', 'b']) await h.scheduler.defineTask(manualTask(id));
    await h.scheduler.start();
    return h;
  }

  it('refuses the same id at another time for another task, recording and arming nothing', async () => {
    const h = await running();
    const first = occurrenceAt('a', HOUR);
    await expect(h.scheduler.scheduleOccurrence(first)).resolves.toBe('armed');
    const before = await h.events();
    const moved = Object.freeze({
      ...first,
      taskId: 'b',
      scheduledFor: new Date(T0 + 2 * HOUR).toISOString(),
    });
    const error = await h.scheduler.scheduleOccurrence(moved).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'planflow:invalid-occurrence', field: 'id' });
    expect((error as Error).message).toContain(
      `already recorded for task "a" at ${first.scheduledFor}`,
    );
    expect(await h.events()).toEqual(before);
    expect(h.scheduler.armedCount).toBe(1);
    expect(await h.scheduler.getOccurrence(first.id)).toEqual(first);
    // It still fires once, at its recorded time, not late.
    await h.clock.advanceAsync(3 * HOUR);
    expect(h.calls.map((c) => [c.occurrenceId, c.atMs])).toEqual([[first.id, T0 + HOUR]]);
  });

  it('still re-arms an identical re-schedule', async () => {
    const h = await running();
    const occ = makeOccurrence({ taskId: 'a', cause: 'manual', scheduledFor: new Date(T0 + HOUR) });
    await h.scheduler.scheduleOccurrence(occ);
    const before = (await h.events()).length;
    await expect(h.scheduler.scheduleOccurrence({ ...occ })).resolves.toBe('armed');
    expect((await h.events()).length).toBe(before);
    expect(h.scheduler.armedCount).toBe(1);
  });

  it('refuses it even when the scheduler is paused', async () => {
    const h = await running();
    const occ = occurrenceAt('a', HOUR);
    await h.scheduler.scheduleOccurrence(occ);
    await h.scheduler.pause();
    await expect(
      h.scheduler.scheduleOccurrence({
        ...occ,
        scheduledFor: new Date(T0 + 2 * HOUR).toISOString(),
      }),
    ).rejects.toMatchObject({ code: 'planflow:invalid-occurrence' });
  });
});
