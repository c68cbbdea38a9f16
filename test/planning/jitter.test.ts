import { describe, expect, it } from 'vitest';
import { parseCalendar } from '../../src/domain/validateCalendar.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { occupancyOf } from '../../src/planning/CalendarOccupancy.js';
import { DefaultTaskScheduler } from '../../src/planning/DefaultTaskScheduler.js';
import { jitterOf } from '../../src/planning/jitter.js';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const HOUR = 3_600_000;

describe('jitterOf', () => {
  it('is a function of the task and the due time: the same answer every time', () => {
    expect(jitterOf('t', T0, HOUR)).toBe(jitterOf('t', T0, HOUR));
    expect(jitterOf('t', T0, 0)).toBe(0);
  });

  it('stays within [0, jitterMs] and spreads over the window', () => {
    const delays = Array.from({ length: 1000 }, (_, k) => jitterOf('t', T0 + k * HOUR, 60_000));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(60_000);
    // Each tenth of the window gets some of 1 000 due times (a fair spread gives ~100 each).
    const tenths = new Set(delays.map((d) => Math.min(9, Math.floor(d / 6_000))));
    expect(tenths.size).toBe(10);
    expect(jitterOf('a', T0, HOUR)).not.toBe(jitterOf('b', T0, HOUR));
  });
});

describe('DefaultTaskScheduler with a jitter', () => {
  const calendar = parseCalendar({ timeZone: 'UTC' });
  const ctx = { calendar, occupancy: occupancyOf([], calendar) };
  const scheduler = new DefaultTaskScheduler();
  const task = parseTask(
    { id: 't', title: 'T', recurrence: { everyMs: HOUR }, jitterMs: 600_000 },
    calendar,
    new Date(T0),
  );

  it('plans the same delayed time (and so the same id) for a due time every time', () => {
    const a = scheduler.nextOccurrence(task, new Date(T0), ctx);
    const b = scheduler.nextOccurrence(task, new Date(T0 + 1), ctx);
    expect(a).toEqual(b);
    expect(Date.parse(a!.scheduledFor)).toBe(T0 + HOUR + jitterOf('t', T0 + HOUR, 600_000));
  });

  it('leaves one-shot times alone', () => {
    const once = parseTask(
      { id: 'o', title: 'O', startAt: new Date(T0 + HOUR), jitterMs: 600_000 },
      calendar,
      new Date(T0),
    );
    expect(scheduler.firstOccurrence(once, new Date(T0), ctx)?.scheduledFor).toBe(
      new Date(T0 + HOUR).toISOString(),
    );
  });
});
