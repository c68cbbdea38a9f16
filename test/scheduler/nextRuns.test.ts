import { describe, expect, it } from 'vitest';
import { jitterOf } from '../../src/planning/jitter.js';
import {
  at,
  DAY,
  HOUR,
  MINUTE,
  manualTask,
  OFFICE_HOURS,
  oneShot,
  T0,
  useHarnesses,
} from '../helpers/harness.js';

// nextRuns lists a task's upcoming runs as the planner would place them, recording nothing;
// jitter spreads a recurrence's due times, the same way every time a due time is planned.

const { setUp } = useHarnesses();

const hourly = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  title: id,
  handler: 'record',
  recurrence: { cron: '0 * * * *', timeZone: 'UTC' },
  ...extra,
});

describe('SmartScheduler.nextRuns', () => {
  it('lists the runs from the next pending one, the calendar applied, recording nothing', async () => {
    const h = setUp({ calendar: OFFICE_HOURS });
    await h.scheduler.defineTask(hourly('t'));
    const before = await h.events();
    const armed = h.scheduler.armedCount;

    const runs = await h.scheduler.nextRuns('t', 5);

    // At most 3 a day in office hours (the pending 08:00 run counts): Tuesday from 08:00.
    expect(runs.map((o) => o.scheduledFor)).toEqual([
      at(0),
      at(HOUR),
      at(2 * HOUR),
      at(DAY),
      at(DAY + HOUR),
    ]);
    expect(runs[0]?.id).toBe((await h.scheduler.listOccurrences({ taskId: 't' })).items[0]?.id);
    expect(runs[1]).toMatchObject({ cause: 'recurrence', parentId: runs[0]?.id });
    expect(await h.events()).toEqual(before);
    expect(h.scheduler.armedCount).toBe(armed);
    expect(Object.isFrozen(runs)).toBe(true);
  });

  it('gives the occurrences the runtime then plans, ids included', async () => {
    const h = setUp();
    await h.scheduler.defineTask(hourly('t'));
    const listed = await h.scheduler.nextRuns('t', 4);
    await h.scheduler.start();

    await h.clock.advanceAsync(3 * HOUR);

    const planned = (await h.scheduler.listOccurrences({ taskId: 't' })).items;
    expect(planned.slice(0, 4).map((o) => o.id)).toEqual(listed.map((o) => o.id));
  });

  it('starts at `from` when given, following the recurrence from there', async () => {
    const h = setUp();
    await h.scheduler.defineTask(hourly('t'));

    const runs = await h.scheduler.nextRuns('t', 2, { from: at(DAY + 30 * MINUTE) });

    expect(runs.map((o) => o.scheduledFor)).toEqual([at(DAY + HOUR), at(DAY + 2 * HOUR)]);
  });

  it('sees the other tasks on the calendar: an instant another run holds is taken', async () => {
    const h = setUp();
    await h.scheduler.defineTask(hourly('a'));
    await h.scheduler.defineTask(hourly('b', { startAt: at(HOUR) }));

    const runs = await h.scheduler.nextRuns('b', 2);

    expect(runs.map((o) => o.scheduledFor)).toEqual([at(HOUR), at(2 * HOUR)]);
    expect((await h.scheduler.nextRuns('a', 2)).map((o) => o.scheduledFor)).toEqual([
      at(0),
      // 01:00 is held by b's pending run: a's would move to the next free minute.
      at(HOUR + MINUTE),
    ]);
  });

  it('ends with the series: a one-shot lists its pending run, an RRULE stops at COUNT', async () => {
    const h = setUp();
    await h.scheduler.defineTask(oneShot('once', 30 * MINUTE));
    await h.scheduler.defineTask({
      id: 'three',
      title: 'three',
      recurrence: { rrule: 'DTSTART:20260302T090000Z\nRRULE:FREQ=DAILY;COUNT=3' },
    });
    await h.scheduler.defineTask(manualTask('byhand'));

    expect((await h.scheduler.nextRuns('once', 10)).map((o) => o.scheduledFor)).toEqual([
      at(30 * MINUTE),
    ]);
    expect((await h.scheduler.nextRuns('three', 10)).map((o) => o.scheduledFor)).toEqual([
      at(HOUR),
      at(DAY + HOUR),
      at(2 * DAY + HOUR),
    ]);
    expect(await h.scheduler.nextRuns('byhand', 10)).toEqual([]);
  });

  it('refuses a bad n, a bad from and an unknown task, saying how to fix it', async () => {
    const h = setUp();
    await h.scheduler.defineTask(hourly('t'));
    for (const n of [0, 1001, 1.5, '3', Number.NaN]) {
      await expect(h.scheduler.nextRuns('t', n as number)).rejects.toMatchObject({
        code: 'planflow:invalid-input',
        field: 'n',
        message: expect.stringContaining(
          'SmartScheduler.nextRuns: n must be an integer between 1 and 1000',
        ),
      });
    }
    await expect(h.scheduler.nextRuns('t', 1, { from: 'tomorrow' })).rejects.toMatchObject({
      field: 'options.from',
    });
    await expect(
      h.scheduler.nextRuns('t', 1, { form: at(0) } as unknown as { from: string }),
    ).rejects.toMatchObject({ message: expect.stringContaining('form') });
    await expect(h.scheduler.nextRuns('nope', 1)).rejects.toMatchObject({
      code: 'planflow:not-found',
    });
  });
});

describe('jitter', () => {
  it('delays each due time by the same amount every time it is planned, within jitterMs', async () => {
    const jitterMs = 10 * MINUTE;
    const h = setUp();
    await h.scheduler.defineTask(hourly('t', { jitterMs }));
    await h.scheduler.start();
    const listed = await h.scheduler.nextRuns('t', 3);

    const dues = [T0, T0 + HOUR, T0 + 2 * HOUR];
    const expected = dues.map((due) => due + jitterOf('t', due, jitterMs));
    expect(listed.map((o) => Date.parse(o.scheduledFor))).toEqual(expected);
    for (const [i, ms] of expected.entries()) {
      expect(ms - dues[i]!).toBeGreaterThanOrEqual(0);
      expect(ms - dues[i]!).toBeLessThanOrEqual(jitterMs);
    }
    await h.clock.advanceAsync(2 * HOUR + jitterMs);
    expect(h.calls.map((c) => c.atMs)).toEqual(expected);
    expect(await h.scheduler.nextRuns('t', 3)).not.toEqual(listed);
  });

  it('spreads tasks that share a schedule', async () => {
    const h = setUp();
    for (const id of ['a', 'b', 'c', 'd']) {
      await h.scheduler.defineTask(hourly(id, { jitterMs: HOUR }));
    }
    const firsts = await Promise.all(
      ['a', 'b', 'c', 'd'].map(async (id) => (await h.scheduler.nextRuns(id, 1))[0]?.scheduledFor),
    );
    expect(new Set(firsts).size).toBe(4);
  });

  it('is validated: 0 to an hour, in whole milliseconds; 0 means none', async () => {
    const h = setUp();
    for (const jitterMs of [-1, HOUR + 1, 1.5, '5m']) {
      await expect(h.scheduler.defineTask(hourly('t', { jitterMs }))).rejects.toMatchObject({
        code: 'planflow:invalid-task',
        field: 'jitterMs',
        message: expect.stringContaining('jitterMs must be an integer between 0 and 3600000'),
      });
    }
    expect(await h.scheduler.defineTask(hourly('t', { jitterMs: 0 }))).not.toHaveProperty(
      'jitterMs',
    );
  });
});
