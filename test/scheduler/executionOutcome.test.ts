import { describe, expect, it } from 'vitest';
import { readAllPages } from '../../src/log/readAllPages.js';
import { TestClock } from '../../src/testing/TestClock.js';
import { harness, MINUTE, T0 } from '../helpers/harness.js';
import { useStores } from '../helpers/stores.js';

// An execution says how it ran (`outcome`) apart from what followed it (`state`): an outcome
// filter finds every successful run of a recurring task, whatever its follow-up.

const stores = useStores();

describe.each(stores)('listExecutions({ outcome }) on the $name store', (kind) => {
  it('finds every successful run of a recurring task, which state: done does not', async () => {
    const clock = new TestClock(T0);
    let calls = 0;
    const h = harness({
      clock,
      store: await kind.open(clock),
      handlers: {
        flaky: () => {
          calls++;
          if (calls === 3) throw new Error('third run fails');
        },
      },
    });
    await h.scheduler.defineTask({
      id: 't',
      title: 't',
      handler: 'flaky',
      recurrence: { everyMs: 10 * MINUTE },
      retry: { maxRetries: 1, delayMs: MINUTE },
    });
    await h.scheduler.start();
    await h.clock.advanceAsync(55 * MINUTE);

    const list = (query: Record<string, unknown>) =>
      readAllPages((cursor) => h.scheduler.listExecutions({ taskId: 't', ...query, cursor }));
    const completed = await list({ outcome: 'completed' });
    expect(completed.map((e) => [e.cause, e.state])).toEqual([
      ['initial', 'recurred'],
      ['recurrence', 'recurred'],
      ['retry', 'recurred'],
      ['recurrence', 'recurred'],
      ['recurrence', 'recurred'],
      ['recurrence', 'recurred'],
    ]);
    expect(completed.every((e) => e.outcome === 'completed')).toBe(true);
    expect(await list({ state: 'done' })).toEqual([]);
    expect((await list({ outcome: 'failed' })).map((e) => [e.cause, e.state])).toEqual([
      ['recurrence', 'retrying'],
    ]);
    expect(await list({ outcome: ['failed', 'missed'], state: 'recurred' })).toEqual([]);
    expect((await list({ outcome: ['completed', 'failed'] })).length).toBe(7);
    await h.scheduler.stop();
  });

  it('answers done, failed and missed from their state, follow-ups from the record', async () => {
    const clock = new TestClock(T0);
    const h = harness({
      clock,
      store: await kind.open(clock),
      calendar: { timeZone: 'UTC', exclusiveInstants: false },
      handlers: { boom: () => Promise.reject(new Error('no')) },
    });
    await h.scheduler.defineTask({ id: 'ok', title: 'ok', startAt: new Date(T0) });
    await h.scheduler.defineTask({
      id: 'bad',
      title: 'bad',
      handler: 'boom',
      startAt: new Date(T0),
    });
    await h.scheduler.defineTask({ id: 'late', title: 'late', startAt: new Date(T0 + MINUTE) });
    await h.scheduler.start();
    await h.clock.settle();
    await h.scheduler.pause();
    await h.clock.advanceAsync(10 * MINUTE);
    await h.scheduler.start();

    const by = async (outcome: string) =>
      (await h.scheduler.listExecutions({ outcome: outcome as 'completed' })).items.map((e) => [
        e.taskId,
        e.state,
      ]);
    expect(await by('completed')).toEqual([['ok', 'done']]);
    expect(await by('failed')).toEqual([['bad', 'failed']]);
    expect(await by('missed')).toEqual([['late', 'missed']]);
    await h.scheduler.stop();
  });
});

describe('the outcome filter', () => {
  it('is validated like state, naming the accepted outcomes', async () => {
    const h = harness();
    await expect(
      h.scheduler.listExecutions({ outcome: 'done' as 'completed' }),
    ).rejects.toMatchObject({
      code: 'planflow:invalid-input',
      field: 'query.outcome',
      message: expect.stringContaining('completed'),
    });
    await expect(
      h.scheduler.listOccurrences({ outcome: ['completed', 'nope'] as 'completed'[] }),
    ).rejects.toMatchObject({ field: 'query.outcome[1]' });
    await h.scheduler.stop();
  });
});
