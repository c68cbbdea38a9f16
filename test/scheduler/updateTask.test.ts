import { describe, expect, it } from 'vitest';
import { at, HOUR, oneShot, T0, useHarnesses } from '../helpers/harness.js';

const { setUp } = useHarnesses();

describe('SmartScheduler.updateTask', () => {
  it("keeps a cron recurrence's time zone when only the expression changes", async () => {
    const h = setUp();
    await h.scheduler.defineTask({
      id: 't',
      title: 'T',
      recurrence: { cron: '0 9 * * *', timeZone: 'Europe/Berlin' },
    });

    const updated = await h.scheduler.updateTask('t', { recurrence: { cron: '0 10 * * *' } });

    expect(updated.recurrence).toEqual({
      kind: 'cron',
      cron: '0 10 * * *',
      timeZone: 'Europe/Berlin',
    });
    // T0 is 08:00 UTC on 2 March (CET, UTC+1): the next 10:00 in Berlin is 09:00 UTC today.
    const pending = (await h.scheduler.listExecutions({ taskId: 't', state: 'scheduled' })).items;
    expect(pending.map((e) => e.scheduledFor)).toEqual(['2026-03-02T09:00:00.000Z']);
    expect(Date.parse(pending[0]!.scheduledFor)).toBeGreaterThan(T0);
  });

  it('replaces the recurrence whole when it changes kind', async () => {
    const h = setUp();
    await h.scheduler.defineTask({
      id: 't',
      title: 'T',
      recurrence: { cron: '0 9 * * *', timeZone: 'Europe/Berlin' },
    });

    const updated = await h.scheduler.updateTask('t', { recurrence: { everyMs: 3_600_000 } });

    expect(updated.recurrence).toMatchObject({ kind: 'interval', everyMs: 3_600_000 });
    expect(updated.recurrence).not.toHaveProperty('timeZone');
    expect(updated.recurrence).not.toHaveProperty('cron');
  });

  it('keeps the waiting first run when the change does not move it, and it still runs', async () => {
    const h = setUp();
    await h.scheduler.defineTask(oneShot('t', HOUR));
    await h.scheduler.start();

    await h.scheduler.updateTask('t', { title: 'renamed' });
    await h.clock.advanceAsync(HOUR);

    const runs = (await h.scheduler.listExecutions({ taskId: 't' })).items;
    expect(runs.map((e) => [e.scheduledFor, e.state])).toEqual([[at(HOUR), 'done']]);
    expect(h.calls).toHaveLength(1);
  });

  it('cancels the waiting run when the change moves it', async () => {
    const h = setUp();
    await h.scheduler.defineTask(oneShot('t', HOUR));
    await h.scheduler.start();

    await h.scheduler.updateTask('t', { startAt: at(2 * HOUR) });

    const runs = (await h.scheduler.listExecutions({ taskId: 't' })).items;
    expect(runs.map((e) => [e.scheduledFor, e.state])).toEqual([
      [at(HOUR), 'cancelled'],
      [at(2 * HOUR), 'scheduled'],
    ]);
  });
});
