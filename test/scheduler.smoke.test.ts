import { describe, expect, it } from 'vitest';
import { memoryStore } from '../src/log/memoryStore.js';
import { createScheduler } from '../src/runtime/createScheduler.js';
import { TestClock } from '../src/testing/TestClock.js';

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
    const types = scheduler.listExecutions().map((e) => `${e.cause}:${e.state}`);
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
