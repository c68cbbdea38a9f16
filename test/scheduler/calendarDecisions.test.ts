import { describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/log/EventStore.js';
import { TestClock } from '../../src/testing/TestClock.js';
import {
  at,
  type HarnessOptions,
  HOUR,
  harness,
  MINUTE,
  SECOND,
  T0,
  useHarnesses,
} from '../helpers/harness.js';
import { ofType } from '../helpers/logQueries.js';
import { useStores } from '../helpers/stores.js';

// The calendar's decisions are visible: an occurrence placed elsewhere than its requested time
// is recorded with that time and the reason; a task can opt out of the calendar.

const { setUp } = useHarnesses();

const daily9 = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  title: id,
  handler: 'record',
  recurrence: { cron: '0 9 * * *', timeZone: 'UTC' },
  ...extra,
});

describe('visible calendar decisions', () => {
  it('records the requested time and the reason in occurrence.scheduled', async () => {
    const h = setUp();
    for (const id of ['a', 'b', 'c', 'd']) await h.scheduler.defineTask(daily9(id));

    const scheduled = ofType(await h.events(), 'occurrence.scheduled').map(
      (e) => e.data.occurrence,
    );

    expect(scheduled.map((o) => [o.taskId, o.scheduledFor, o.moved])).toEqual([
      ['a', at(HOUR), undefined],
      ['b', at(HOUR + MINUTE), { from: at(HOUR), reason: 'instant-taken' }],
      ['c', at(HOUR + 2 * MINUTE), { from: at(HOUR), reason: 'instant-taken' }],
      ['d', at(HOUR + 3 * MINUTE), { from: at(HOUR), reason: 'instant-taken' }],
    ]);
    const [listed] = (await h.scheduler.listOccurrences({ taskId: 'd' })).items;
    expect(listed?.moved).toEqual({ from: at(HOUR), reason: 'instant-taken' });
  });

  it("runs a task with calendar: 'ignore' at its exact times, outside the slot pool", async () => {
    const h = setUp({
      calendar: {
        timeZone: 'UTC',
        workingHours: { tue: { start: '09:30', end: '10:00', slots: ['s'] } },
        slots: [{ id: 's', start: '09:30' }],
        maxPerDay: 1,
      },
    });
    await h.scheduler.defineTask({
      id: 'beat',
      title: 'beat',
      handler: 'record',
      recurrence: { everyMs: 5 * SECOND },
      calendar: 'ignore',
    });
    await h.scheduler.defineTask({ ...daily9('slotted'), recurrence: { everyMs: HOUR } });
    await h.scheduler.start();
    await h.clock.advanceAsync(20 * SECOND);

    expect(h.calls.map((c) => c.atMs - T0)).toEqual([0, 5, 10, 15, 20].map((s) => s * SECOND));
    const [slotted] = (await h.scheduler.listOccurrences({ taskId: 'slotted' })).items;
    // The heartbeat takes no place: the other task still gets Tuesday's only slot.
    expect(slotted).toMatchObject({
      scheduledFor: '2026-03-03T09:30:00.000Z',
      moved: { from: at(0), reason: 'working-hours' },
    });
  });

  it("lets tasks with calendar: 'ignore' share an instant", async () => {
    const h = setUp();
    await h.scheduler.defineTask(daily9('a', { calendar: 'ignore' }));
    await h.scheduler.defineTask(daily9('b', { calendar: 'ignore' }));

    const times = (await h.scheduler.listOccurrences()).items.map((o) => o.scheduledFor);

    expect(times).toEqual([at(HOUR), at(HOUR)]);
  });

  it('is kept when updateTask switches the calendar back on', async () => {
    const h = setUp();
    await h.scheduler.defineTask(daily9('a'));
    await h.scheduler.defineTask(daily9('b', { calendar: 'ignore' }));
    const updated = await h.scheduler.updateTask('b', { calendar: 'apply' });

    expect(updated).not.toHaveProperty('calendar');
    const pending = (await h.scheduler.listOccurrences({ taskId: 'b', state: 'scheduled' })).items;
    expect(pending.map((o) => [o.scheduledFor, o.moved?.reason])).toEqual([
      [at(HOUR + MINUTE), 'instant-taken'],
    ]);
  });
});

const stores = useStores();

describe.each(stores)('calendar decisions on the $name store', (kind) => {
  let current = new TestClock(T0);
  const wall = { now: () => current.now() };

  async function open(store?: EventStore, options: HarnessOptions = {}) {
    current = new TestClock(T0);
    const h =
      store === undefined
        ? harness({ ...options, clock: current, store: await kind.open(wall) })
        : setUp({ ...options, clock: current, store: await kind.reopen(store, wall) });
    await h.scheduler.ready;
    return h;
  }

  it("keeps moves and the places of calendar: 'ignore' tasks across a restart", async () => {
    const calendar = { timeZone: 'UTC', maxPerDay: 1 };
    const first = await open(undefined, { calendar });
    await first.scheduler.defineTask(daily9('job', { calendar: 'ignore' }));
    await first.scheduler.defineTask(daily9('a'));

    const second = await open(first.store, { calendar });
    await second.scheduler.defineTask(daily9('b'));

    const occurrences = (await second.scheduler.listOccurrences()).items;
    expect(occurrences.map((o) => [o.taskId, o.scheduledFor, o.moved?.reason])).toEqual([
      ['job', at(HOUR), undefined],
      ['a', at(HOUR), undefined],
      // The cap of one a day counts a's run, not the job's: b goes to tomorrow's first minute.
      ['b', '2026-03-03T00:00:00.000Z', 'cap-per-day'],
    ]);
    const executions = (await second.scheduler.listExecutions({ taskId: 'job' })).items;
    expect(executions[0]?.outsideCalendar).toBe(true);
  });
});
