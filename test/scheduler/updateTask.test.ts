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

  describe('with a recipe', () => {
    it('edits a deep copy of the task; what it leaves is validated and recorded', async () => {
      const h = setUp();
      const before = await h.scheduler.defineTask({
        id: 't',
        title: 'T',
        recurrence: { cron: '0 9 * * *', timeZone: 'Europe/Berlin' },
      });

      const updated = await h.scheduler.updateTask('t', (draft) => {
        if (draft.recurrence?.kind === 'cron') draft.recurrence.cron = '0 10 * * *';
        draft.retry.maxRetries = 2;
      });

      expect(updated.recurrence).toEqual({
        kind: 'cron',
        cron: '0 10 * * *',
        timeZone: 'Europe/Berlin',
      });
      expect(updated.retry.maxRetries).toBe(2);
      expect(updated.createdAt).toBe(before.createdAt);
      expect(before.recurrence).toMatchObject({ cron: '0 9 * * *' });
      expect(Object.isFrozen(updated.recurrence)).toBe(true);
      const [, updatedEvent] = (await h.events()).filter((e) => e.type.startsWith('task.'));
      expect(updatedEvent?.type).toBe('task.updated');
    });

    it('takes a returned task as the new one', async () => {
      const h = setUp();
      await h.scheduler.defineTask(oneShot('t', HOUR));
      const updated = await h.scheduler.updateTask('t', (draft) => ({ ...draft, title: 'new' }));
      expect(updated.title).toBe('new');
    });

    it('refuses a changed id, an async recipe and an invalid result, recording nothing', async () => {
      const h = setUp();
      await h.scheduler.defineTask(oneShot('t', HOUR));
      const before = await h.events();

      await expect(
        h.scheduler.updateTask('t', (draft) => {
          draft.id = 'other';
        }),
      ).rejects.toMatchObject({ code: 'planflow:invalid-task', field: 'id' });
      await expect(
        h.scheduler.updateTask('t', (async () => undefined) as never),
      ).rejects.toMatchObject({
        code: 'planflow:invalid-input',
        message: expect.stringContaining('synchronously'),
      });
      await expect(
        h.scheduler.updateTask('t', (draft) => {
          draft.retry.maxRetries = -1;
        }),
      ).rejects.toMatchObject({ field: 'retry.maxRetries' });
      await expect(
        h.scheduler.updateTask('t', () => {
          throw new Error('mine');
        }),
      ).rejects.toThrow('mine');
      expect(await h.events()).toEqual(before);
    });

    it('resumes a paused task when the recipe takes paused away', async () => {
      const h = setUp();
      await h.scheduler.defineTask(oneShot('t', HOUR));
      await h.scheduler.pauseTask('t');
      const resumed = await h.scheduler.updateTask('t', (draft) => {
        delete draft.paused;
      });
      expect(resumed).not.toHaveProperty('paused');
    });

    it('changes the calendar with configureCalendar(recipe)', async () => {
      const h = setUp({ calendar: { timeZone: 'UTC', maxPerDay: 3 } });
      const calendar = await h.scheduler.configureCalendar((draft) => {
        draft.maxPerDay = 5;
        draft.holidays = ['2026-12-25'];
      });
      expect(calendar).toMatchObject({ timeZone: 'UTC', maxPerDay: 5, holidays: ['2026-12-25'] });
      expect(h.scheduler.calendar).toEqual(calendar);
    });
  });
});
