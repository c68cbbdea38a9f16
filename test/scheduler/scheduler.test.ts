import { describe, expect, it } from 'vitest';
import { RecoveryStub, RejectingPlanner, ScriptedTaskScheduler } from '../helpers/collaborators.js';
import {
  at,
  HOUR,
  MINUTE,
  manualTask,
  occurrenceAt,
  oneShot,
  SECOND,
  T0,
  useHarnesses,
} from '../helpers/harness.js';
import { ofType, triggerCounts, typesFor } from '../helpers/logQueries.js';

// The seed's unit matrix (tests/test_smart_scheduler_service.py), one test per scenario. The
// seed mocked the repository, planners and timers; here the log is a real memory store, time
// is a TestClock, and the collaborators the seed mocked are injected stubs.

const { setUp } = useHarnesses();

describe('SmartScheduler', () => {
  describe('scheduleOccurrence', () => {
    it('triggers a task due immediately at once, without waiting on the clock', async () => {
      const h = setUp();
      await h.scheduler.defineTask(manualTask('now'));
      await h.scheduler.start();
      const occ = occurrenceAt('now', 0);

      await expect(h.scheduler.scheduleOccurrence(occ)).resolves.toBe('armed');
      await h.clock.settle();

      expect(h.calls).toMatchObject([{ occurrenceId: occ.id, atMs: T0 }]);
      expect((await h.scheduler.getExecution(occ.id))?.state).toBe('done');
      expect(h.scheduler.armedCount).toBe(0);
    });

    it('gives a future task a timer that fires at its time, not before', async () => {
      const h = setUp();
      await h.scheduler.defineTask(oneShot('later', HOUR));
      await h.scheduler.start();
      expect(h.scheduler.armedCount).toBe(1);

      await h.clock.advanceAsync(HOUR - 1);
      expect(h.calls).toHaveLength(0);
      await h.clock.advanceAsync(1);

      expect(h.calls.map((c) => c.atMs)).toEqual([T0 + HOUR]);
      expect(h.scheduler.armedCount).toBe(0);
    });

    it('does not reschedule a task already executed', async () => {
      const h = setUp();
      const task = await h.scheduler.defineTask(oneShot('once', HOUR));
      await h.scheduler.start();
      await h.clock.advanceAsync(HOUR);
      const [done] = (await h.scheduler.listOccurrences({ taskId: task.id })).items;

      await expect(h.scheduler.scheduleOccurrence(done!)).resolves.toBe('not-pending');
      await h.scheduler.scheduleAll();
      expect(h.scheduler.armedCount).toBe(0);
      await h.clock.advanceAsync(2 * HOUR);

      expect(h.calls).toHaveLength(1);
      expect(triggerCounts(await h.events()).get(done!.id)).toBe(1);
    });

    it('skips an occurrence whose slot the calendar rejects', async () => {
      const planner = new RejectingPlanner((ms) => ms === T0 + HOUR);
      const h = setUp({ calendarPlanner: planner });
      await h.scheduler.defineTask(manualTask('blocked'));
      await h.scheduler.start();
      const occ = occurrenceAt('blocked', HOUR);

      await expect(h.scheduler.scheduleOccurrence(occ)).resolves.toBe('skipped');
      expect(planner.asked).toContain(T0 + HOUR);
      expect(h.scheduler.armedCount).toBe(0);
      await h.clock.advanceAsync(2 * HOUR);

      expect(h.calls).toHaveLength(0);
      expect((await h.scheduler.getExecution(occ.id))?.state).toBe('skipped');
      expect(typesFor(await h.events(), occ.id)).toEqual([
        'occurrence.scheduled',
        'occurrence.skipped',
      ]);
    });
  });

  describe('checkForMissedTasks', () => {
    it('triggers an occurrence missed by less than the grace period at once', async () => {
      const recovery = new RecoveryStub([]);
      const h = setUp({ recoveryService: recovery });
      const task = await h.scheduler.defineTask(oneShot('late', HOUR));
      await h.scheduler.start();
      h.clock.jump(HOUR + 10 * SECOND); // asleep past its time; no timer ran

      await h.scheduler.checkForMissedTasks();
      await h.clock.settle();

      expect(h.calls.map((c) => c.atMs)).toEqual([T0 + HOUR + 10 * SECOND]);
      const [triggered] = ofType(await h.events(), 'occurrence.triggered');
      expect(triggered?.data.lateByMs).toBe(10 * SECOND);
      expect(recovery.calls).toHaveLength(0);
      expect((await h.scheduler.listExecutions({ taskId: task.id })).items[0]?.state).toBe('done');
    });

    it('triggers an occurrence due exactly now when started (late by 0)', async () => {
      const h = setUp();
      await h.scheduler.defineTask(oneShot('exact', HOUR));
      h.clock.jump(HOUR); // neither in the future (scheduleAll) nor in the past

      await h.scheduler.start();
      await h.clock.settle();

      expect(h.calls.map((c) => c.atMs)).toEqual([T0 + HOUR]);
    });

    it('delegates an occurrence missed beyond the grace period to recovery', async () => {
      const recovery = new RecoveryStub([]);
      const h = setUp({ recoveryService: recovery });
      await h.scheduler.defineTask(oneShot('asleep', HOUR));
      await h.scheduler.start();
      const [occ] = (await h.scheduler.listOccurrences()).items;
      h.clock.jump(HOUR + 5 * MINUTE);

      await h.scheduler.checkForMissedTasks();
      await h.clock.settle();

      expect(h.calls).toHaveLength(0);
      expect(recovery.calls).toHaveLength(1);
      expect(recovery.calls[0]?.executions.get(occ!.id)?.state).toBe('missed');
      expect(recovery.calls[0]?.now.getTime()).toBe(T0 + HOUR + 5 * MINUTE);
      const [missed] = ofType(await h.events(), 'occurrence.missed');
      expect(missed?.data).toEqual({ occurrenceId: occ!.id, lateByMs: 5 * MINUTE });
    });
  });

  describe('after a trigger', () => {
    it('schedules the retry the task scheduler returns for a failed run', async () => {
      const retry = occurrenceAt('flaky', 2 * HOUR, { cause: 'retry', attempt: 1 });
      const taskScheduler = new ScriptedTaskScheduler({ retries: [retry] });
      const h = setUp({
        taskScheduler,
        handlers: {
          failOnce: (_occ, { attempt }) => {
            if (attempt === 0) throw new Error('boom');
          },
        },
      });
      await h.scheduler.defineTask(oneShot('flaky', HOUR, { handler: 'failOnce' }));
      await h.scheduler.start();

      await h.clock.advanceAsync(HOUR);
      const first = (await h.scheduler.listExecutions({ taskId: 'flaky' })).items[0]!;
      expect(first).toMatchObject({ state: 'retrying', outcome: 'failed', followUpId: retry.id });
      expect((await h.scheduler.getExecution(retry.id))?.state).toBe('scheduled');
      expect(h.scheduler.armedCount).toBe(1);

      await h.clock.advanceAsync(HOUR);
      expect((await h.scheduler.getExecution(retry.id))?.state).toBe('done');
      expect(taskScheduler.calls).toContain(`retry:${first.occurrenceId}`);
    });

    it('schedules the recurrence the task scheduler returns after a success', async () => {
      const next = occurrenceAt('daily', 3 * HOUR, { cause: 'recurrence' });
      const taskScheduler = new ScriptedTaskScheduler({ recurrences: [next] });
      const h = setUp({ taskScheduler });
      await h.scheduler.defineTask(
        oneShot('daily', HOUR, { recurrence: { everyMs: 24 * HOUR, anchor: at(HOUR) } }),
      );
      await h.scheduler.start();

      await h.clock.advanceAsync(HOUR);
      const first = (await h.scheduler.listExecutions({ taskId: 'daily' })).items[0]!;
      expect(first).toMatchObject({ state: 'recurred', outcome: 'completed', followUpId: next.id });
      expect(h.scheduler.armedCount).toBe(1);

      await h.clock.advanceAsync(2 * HOUR);
      expect(h.calls.map((c) => [c.occurrenceId, c.atMs])).toEqual([
        [first.occurrenceId, T0 + HOUR],
        [next.id, T0 + 3 * HOUR],
      ]);
    });
  });

  describe('when paused', () => {
    it('creates no timers and fires nothing', async () => {
      const h = setUp();
      await h.scheduler.defineTask(oneShot('a', 30 * SECOND));
      await h.scheduler.defineTask(oneShot('b', HOUR));
      await h.scheduler.start();
      expect(h.scheduler.armedCount).toBe(2);

      await h.scheduler.pause();
      expect(h.scheduler.armedCount).toBe(0);
      await h.scheduler.defineTask(manualTask('c'));
      await expect(h.scheduler.scheduleOccurrence(occurrenceAt('c', 2 * HOUR))).resolves.toBe(
        'paused',
      );
      await h.scheduler.scheduleAll();
      expect(h.scheduler.armedCount).toBe(0);
      await h.clock.advanceAsync(3 * HOUR);

      expect(h.calls).toHaveLength(0);
      expect(ofType(await h.events(), 'occurrence.triggered')).toHaveLength(0);
    });

    it('restarts scheduling on resume: timers are re-created and fire', async () => {
      const h = setUp();
      await h.scheduler.defineTask(oneShot('a', 2 * HOUR));
      await h.scheduler.defineTask(oneShot('b', 3 * HOUR));
      await h.scheduler.start();
      await h.scheduler.pause();
      await h.clock.advanceAsync(HOUR);

      await h.scheduler.start();
      expect(h.scheduler.status).toBe('running');
      expect(h.scheduler.armedCount).toBe(2);
      await h.clock.advanceAsync(2 * HOUR);

      expect(h.calls.map((c) => c.atMs)).toEqual([T0 + 2 * HOUR, T0 + 3 * HOUR]);
    });
  });
});
