import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/log/memoryStore.js';
import { createScheduler } from '../../src/scheduler/createScheduler.js';
import { TestClock } from '../../src/testing/TestClock.js';

const T0 = Date.parse('2026-03-02T08:00:00.000Z'); // a Monday

describe('SmartScheduler smoke', () => {
  it('runs a recurring task, retries a failure and records everything', async () => {
    const clock = new TestClock(T0);
    const calls: string[] = [];
    let fail = true;
    const scheduler = createScheduler({
      clock,
      store: memoryStore({ clock }),
      handlers: {
        work: (occ) => {
          calls.push(`${occ.cause}#${occ.attempt}@${new Date(clock.now()).toISOString()}`);
          if (fail) {
            fail = false;
            throw new Error('first run fails');
          }
        },
      },
    });
    await scheduler.defineTask({
      id: 'hourly',
      title: 'Hourly',
      handler: 'work',
      recurrence: { everyMs: 3_600_000, anchor: '2026-03-02T09:00:00Z' },
      retry: { maxRetries: 1, delayMs: 600_000 },
    });
    await scheduler.start();
    await clock.advanceAsync(3 * 3_600_000);
    const types = (await scheduler.listExecutions()).items.map((e) => `${e.cause}:${e.state}`);
    expect(calls).toEqual([
      'initial#0@2026-03-02T09:00:00.000Z',
      'retry#1@2026-03-02T09:10:00.000Z',
      'recurrence#0@2026-03-02T10:00:00.000Z',
      'recurrence#0@2026-03-02T11:00:00.000Z',
    ]);
    expect(types).toEqual([
      'initial:retrying',
      'retry:recurred',
      'recurrence:recurred',
      'recurrence:recurred',
      'recurrence:scheduled',
    ]);
    await expect(scheduler.verify()).resolves.toMatchObject({ ok: true });
    await scheduler.stop();
  });
});

describe('SmartScheduler clock readings', () => {
  it('plans an interval task anchored at definition time from the same instant as createdAt', async () => {
    let now = T0;
    // A clock that moves 1 ms on every reading: two readings in defineTask would disagree.
    const clock = new TestClock(T0);
    const ticking = {
      now: () => {
        now += 1;
        clock.set(now);
        return now;
      },
      setTimeout: clock.setTimeout.bind(clock),
      clearTimeout: clock.clearTimeout.bind(clock),
    };
    const scheduler = createScheduler({ clock: ticking, store: memoryStore({ clock: ticking }) });
    const task = await scheduler.defineTask({
      id: 'tick',
      title: 'Tick',
      recurrence: { everyMs: 3_600_000 },
    });
    const [first] = (await scheduler.listOccurrences({ taskId: 'tick' })).items;
    expect(first?.scheduledFor).toBe(task.createdAt);
    await scheduler.stop();
  });

  it('leaves no trace when a scheduler that never started is stopped', async () => {
    const clock = new TestClock(T0);
    const store = memoryStore({ clock });
    const scheduler = createScheduler({ clock, store });
    await scheduler.defineTask({ id: 'once', title: 'Once', startAt: new Date(T0 + 60_000) });
    await scheduler.stop();
    const types: string[] = [];
    for await (const batch of store.read()) types.push(...batch.map((e) => e.type));
    expect(types).toEqual(['calendar.configured', 'task.defined', 'occurrence.scheduled']);
  });
});

describe('SmartScheduler bursts', () => {
  it('records the triggers, and then the outcomes, of occurrences due together in one append each', async () => {
    const clock = new TestClock(T0);
    const inner = memoryStore({ clock });
    const triggeredPerAppend: number[] = [];
    const completedPerAppend: number[] = [];
    const count = (events: readonly { type: string }[], type: string) =>
      events.filter((e) => e.type === type).length;
    const store: typeof inner = {
      ...inner,
      append: (events, options) => {
        const triggers = count(events, 'occurrence.triggered');
        if (triggers > 0) triggeredPerAppend.push(triggers);
        const completions = count(events, 'occurrence.completed');
        if (completions > 0) completedPerAppend.push(completions);
        return inner.append(events, options);
      },
    };
    const scheduler = createScheduler({
      clock,
      store,
      calendar: { timeZone: 'UTC', exclusiveInstants: false },
    });
    for (let i = 0; i < 20; i++) {
      await scheduler.defineTask({
        id: `job-${i}`,
        title: `Job ${i}`,
        startAt: new Date(T0 + 60_000),
      });
    }
    await scheduler.start();
    await clock.advanceAsync(120_000);
    expect((await scheduler.listExecutions({ state: 'done' })).items).toHaveLength(20);
    expect(triggeredPerAppend).toEqual([20]);
    expect(completedPerAppend).toEqual([20]);
    await scheduler.stop();
  });
});
