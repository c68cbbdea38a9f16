import { describe, expect, it } from 'vitest';
import { TestClock } from '../../src/testing/TestClock.js';
import { RecoveryStub } from '../helpers/collaborators.js';
import {
  at,
  DAY,
  deferred,
  expectOnlyHeartbeat,
  type Harness,
  type HarnessOptions,
  HOUR,
  MINUTE,
  manualTask,
  occurrenceAt,
  oneShot,
  SECOND,
  T0,
  useHarnesses,
} from '../helpers/harness.js';
import { ofType, triggerCounts, triggeredTwice, typesFor } from '../helpers/logQueries.js';
import { useStores } from '../helpers/stores.js';

// The seed's integration plan, against the real stores and the default planners: every
// assertion reads what the log recorded, not what a mock was told.

const stores = useStores();
const harnesses = useHarnesses();

describe.each(stores)('SmartScheduler on the $name store', (kind) => {
  async function setUp(options: HarnessOptions = {}): Promise<Harness> {
    const clock = options.clock ?? new TestClock(T0);
    return harnesses.setUp({ ...options, clock, store: options.store ?? (await kind.open(clock)) });
  }

  /** No double trigger, a verifying chain and no stray errors: true after every scenario. */
  async function expectSound(h: Harness): Promise<void> {
    expect(triggeredTwice(await h.events())).toEqual([]);
    await expect(h.scheduler.verify()).resolves.toMatchObject({ ok: true });
    expect(h.errors).toEqual([]);
  }

  describe('scheduleAll', () => {
    it('schedules only future occurrences that are not done', async () => {
      const h = await setUp({ recoveryService: new RecoveryStub([]) });
      await h.scheduler.defineTask(oneShot('done', HOUR));
      await h.scheduler.defineTask(oneShot('past', 90 * MINUTE));
      await h.scheduler.defineTask(oneShot('future', 3 * HOUR));
      await h.scheduler.start();
      await h.clock.advanceAsync(HOUR);
      h.clock.jump(HOUR); // 'past' is now 30 min overdue; no timer has run

      await h.scheduler.scheduleAll();

      expect(h.scheduler.armedCount).toBe(1);
      await h.clock.advanceAsync(2 * HOUR);
      const ran = await Promise.all(
        h.calls.map(async (c) => [
          (await h.scheduler.getExecution(c.occurrenceId))?.taskId,
          c.atMs,
        ]),
      );
      expect(ran).toEqual([
        ['done', T0 + HOUR],
        ['future', T0 + 3 * HOUR],
      ]);
      expect((await h.scheduler.listExecutions({ taskId: 'past' })).items[0]?.triggered).toBe(
        false,
      );
      await expectSound(h);
    });
  });

  describe('when a timer fires', () => {
    it('records the execution and schedules the retry of a failed run', async () => {
      const h = await setUp({
        handlers: {
          fail: () => {
            throw new Error('down');
          },
        },
      });
      await h.scheduler.defineTask(
        oneShot('ping', HOUR, { handler: 'fail', retry: { maxRetries: 2, delayMs: 10 * MINUTE } }),
      );
      await h.scheduler.start();

      await h.clock.advanceAsync(HOUR);

      const [first, retry] = (await h.scheduler.listExecutions({ taskId: 'ping' })).items;
      expect(first).toMatchObject({
        state: 'retrying',
        outcome: 'failed',
        error: { name: 'Error', message: 'down' },
      });
      expect(typesFor(await h.events(), first!.occurrenceId)).toEqual([
        'occurrence.scheduled',
        'occurrence.triggered',
        'occurrence.failed',
        'occurrence.retried',
      ]);
      expect(await h.scheduler.getOccurrence(retry!.occurrenceId)).toMatchObject({
        cause: 'retry',
        attempt: 1,
        parentId: first!.occurrenceId,
        scheduledFor: at(HOUR + 10 * MINUTE),
      });
      expect(retry).toMatchObject({ state: 'scheduled', retriesRemaining: 1 });
      expect(h.scheduler.armedCount).toBe(1);
      await expectSound(h);
    });

    it('schedules the next recurrence when no retry applies', async () => {
      const h = await setUp();
      await h.scheduler.defineTask({
        ...manualTask('hourly'),
        recurrence: { everyMs: HOUR, anchor: at(HOUR) },
        retry: { maxRetries: 3 },
      });
      await h.scheduler.start();

      await h.clock.advanceAsync(HOUR);

      const [first, next] = (await h.scheduler.listOccurrences({ taskId: 'hourly' })).items;
      expect(await h.scheduler.getExecution(first!.id)).toMatchObject({
        state: 'recurred',
        outcome: 'completed',
        followUpId: next!.id,
      });
      expect(next).toMatchObject({ cause: 'recurrence', attempt: 0, scheduledFor: at(2 * HOUR) });
      expect(h.scheduler.armedCount).toBe(1);
      await h.clock.advanceAsync(HOUR);
      expect(h.calls.map((c) => c.atMs)).toEqual([T0 + HOUR, T0 + 2 * HOUR]);
      await expectSound(h);
    });
  });

  describe('scheduleOccurrence', () => {
    it('creates no timer for a slot outside working hours', async () => {
      const h = await setUp({
        calendar: { timeZone: 'UTC', workingHours: { mon: { start: '09:00', end: '17:00' } } },
      });
      await h.scheduler.defineTask(manualTask('evening'));
      await h.scheduler.start();
      const occ = occurrenceAt('evening', 10 * HOUR); // Monday 18:00 UTC

      await expect(h.scheduler.scheduleOccurrence(occ)).resolves.toBe('skipped');

      expect(h.scheduler.armedCount).toBe(0);
      await expectOnlyHeartbeat(h);
      expect((await h.scheduler.getExecution(occ.id))?.state).toBe('skipped');
      await h.clock.advanceAsync(DAY);
      expect(h.calls).toEqual([]);
      await expectSound(h);
    });

    it('replaces the timer when an occurrence is scheduled twice (one trigger)', async () => {
      const h = await setUp();
      await h.scheduler.defineTask(manualTask('twice'));
      await h.scheduler.start();
      const soon = occurrenceAt('twice', 30 * SECOND); // inside the horizon: a live actor
      const far = occurrenceAt('twice', 2 * HOUR); // beyond it: a timer-queue entry

      await Promise.all([
        h.scheduler.scheduleOccurrence(soon),
        h.scheduler.scheduleOccurrence(soon),
        h.scheduler.scheduleOccurrence(far),
      ]);
      await h.scheduler.scheduleOccurrence(far);
      expect(h.scheduler.armedCount).toBe(2);
      await h.clock.advanceAsync(3 * HOUR);

      expect(h.calls.map((c) => c.occurrenceId)).toEqual([soon.id, far.id]);
      const events = await h.events();
      expect(ofType(events, 'occurrence.scheduled')).toHaveLength(2);
      expect([...triggerCounts(events).values()]).toEqual([1, 1]);
      await expectSound(h);
    });

    it('does not schedule an occurrence that already executed', async () => {
      const h = await setUp();
      await h.scheduler.defineTask(oneShot('ran', MINUTE));
      await h.scheduler.start();
      await h.clock.advanceAsync(MINUTE);
      const [ran] = (await h.scheduler.listOccurrences({ taskId: 'ran' })).items;
      const before = (await h.events()).length;

      await expect(h.scheduler.scheduleOccurrence(ran!)).resolves.toBe('not-pending');

      expect((await h.events()).length).toBe(before);
      expect(h.scheduler.armedCount).toBe(0);
      await expectSound(h);
    });
  });

  describe('pause and start', () => {
    it('prevents execution and scheduling while paused', async () => {
      const h = await setUp();
      await h.scheduler.defineTask(oneShot('a', 20 * SECOND));
      await h.scheduler.defineTask(oneShot('b', HOUR));
      await h.scheduler.defineTask(manualTask('c'));
      await h.scheduler.start();

      await h.scheduler.pause();
      const before = (await h.events()).length;
      await expect(h.scheduler.scheduleOccurrence(occurrenceAt('c', 2 * HOUR))).resolves.toBe(
        'paused',
      );
      await h.scheduler.scheduleAll();
      await h.clock.advanceAsync(3 * HOUR);

      expect(h.calls).toEqual([]);
      expect(h.scheduler.armedCount).toBe(0);
      await expectOnlyHeartbeat(h);
      expect((await h.events()).length).toBe(before);
      await expectSound(h);
    });

    it('re-arms every valid occurrence on start after a pause', async () => {
      const h = await setUp();
      await h.scheduler.defineTask(oneShot('kept', 2 * HOUR));
      await h.scheduler.defineTask(oneShot('cancelled', 3 * HOUR));
      await h.scheduler.defineTask(oneShot('removed', 4 * HOUR));
      await h.scheduler.defineTask(oneShot('later', 5 * HOUR));
      await h.scheduler.start();
      await h.scheduler.pause();
      const [cancelled] = (await h.scheduler.listOccurrences({ taskId: 'cancelled' })).items;
      await h.scheduler.cancelOccurrence(cancelled!.id);
      await h.scheduler.removeTask('removed');

      await h.scheduler.start();

      expect(h.scheduler.armedCount).toBe(2);
      await h.clock.advanceAsync(6 * HOUR);
      expect(h.calls.map((c) => c.atMs)).toEqual([T0 + 2 * HOUR, T0 + 5 * HOUR]);
      await expectSound(h);
    });
  });

  describe('checking for missed occurrences', () => {
    it('triggers an occurrence missed within grace immediately', async () => {
      const h = await setUp();
      await h.scheduler.defineTask(oneShot('late', HOUR));
      await h.scheduler.start();
      await h.scheduler.pause();
      h.clock.jump(HOUR + 20 * SECOND);

      await h.scheduler.start();
      await h.clock.settle();

      expect(h.calls.map((c) => c.atMs)).toEqual([T0 + HOUR + 20 * SECOND]);
      const [triggered] = ofType(await h.events(), 'occurrence.triggered');
      expect(triggered?.data.lateByMs).toBe(20 * SECOND);
      await expectSound(h);
    });

    it('delegates an occurrence missed beyond grace to recovery', async () => {
      const h = await setUp();
      await h.scheduler.defineTask({
        ...manualTask('hourly'),
        recurrence: { everyMs: HOUR, anchor: at(HOUR) },
      });
      await h.scheduler.start();
      await h.scheduler.pause();
      h.clock.jump(3 * HOUR + 10 * MINUTE);

      await h.scheduler.start();

      const [missed, replacement] = (await h.scheduler.listOccurrences({ taskId: 'hourly' })).items;
      expect(await h.scheduler.getExecution(missed!.id)).toMatchObject({
        state: 'recovered',
        outcome: 'missed',
        triggered: false,
        followUpId: replacement!.id,
      });
      expect(replacement).toMatchObject({ cause: 'recovery', scheduledFor: at(4 * HOUR) });
      expect(h.calls).toEqual([]);
      await h.clock.advanceAsync(HOUR);
      expect(h.calls.map((c) => [c.occurrenceId, c.atMs])).toEqual([
        [replacement!.id, T0 + 4 * HOUR],
      ]);
      await expectSound(h);
    });

    it('schedules every occurrence recovery returns', async () => {
      const recovered = [4, 5, 6].map((n) =>
        occurrenceAt('asleep', n * HOUR, { cause: 'recovery' }),
      );
      const recovery = new RecoveryStub(recovered);
      const h = await setUp({ recoveryService: recovery });
      await h.scheduler.defineTask(oneShot('asleep', HOUR));
      await h.scheduler.start();
      await h.scheduler.pause();
      h.clock.jump(2 * HOUR);

      await h.scheduler.start();

      expect(recovery.calls).toHaveLength(1);
      expect(h.scheduler.armedCount).toBe(3);
      await h.clock.advanceAsync(5 * HOUR);
      expect(h.calls.map((c) => c.occurrenceId)).toEqual(recovered.map((o) => o.id));
      await expectSound(h);
    });

    it('records each occurrence recovery replaces as missed before the replacement', async () => {
      const h = await setUp();
      const retry = { maxRetries: 1, delayMs: 10 * MINUTE };
      await h.scheduler.defineTask(oneShot('a', 10 * SECOND, { retry }));
      await h.scheduler.defineTask(oneShot('b', 20 * SECOND, { retry }));
      await h.scheduler.start();

      // Both timers fire in this tick; their claims run at +60 s, both beyond grace. The
      // recovery run for 'a' also replaces 'b', which must be recorded missed first.
      h.clock.advance(MINUTE);
      await h.clock.advanceAsync(0);

      const events = await h.events();
      for (const taskId of ['a', 'b']) {
        const [missed, retried] = (await h.scheduler.listOccurrences({ taskId })).items;
        expect(typesFor(events, missed!.id)).toEqual([
          'occurrence.scheduled',
          'occurrence.missed',
          'occurrence.retried',
        ]);
        expect(await h.scheduler.getExecution(missed!.id)).toMatchObject({
          outcome: 'missed',
          followUpId: retried!.id,
        });
      }
      await h.clock.advanceAsync(HOUR);
      expect(h.calls.map((c) => c.attempt)).toEqual([1, 1]);
      await expectSound(h);
    });

    it('does not link a recovered occurrence to one that already ran', async () => {
      const h = await setUp({
        // The service names a parent that ran and settled (it sees only the live set, so it
        // names it by its derived id).
        recoveryService: new RecoveryStub(() => [
          occurrenceAt('done', 3 * HOUR, {
            cause: 'recovery',
            parentId: occurrenceAt('done', MINUTE).id,
          }),
        ]),
      });
      await h.scheduler.defineTask(oneShot('done', MINUTE));
      await h.scheduler.defineTask(oneShot('missed', HOUR));
      await h.scheduler.start();
      await h.clock.advanceAsync(MINUTE);
      await h.scheduler.pause();
      h.clock.jump(2 * HOUR);

      await h.scheduler.start();

      const [done, replacement] = (await h.scheduler.listOccurrences({ taskId: 'done' })).items;
      expect(await h.scheduler.getExecution(done!.id)).toMatchObject({ state: 'done' });
      expect((await h.scheduler.getExecution(done!.id))?.followUpId).toBeUndefined();
      expect((await h.scheduler.getExecution(replacement!.id))?.state).toBe('scheduled');
      expect(h.scheduler.armedCount).toBe(1);
      await expectSound(h);
    });

    it('skips occurrences that are done', async () => {
      const recovery = new RecoveryStub([]);
      const h = await setUp({ recoveryService: recovery });
      await h.scheduler.defineTask(oneShot('done', MINUTE));
      await h.scheduler.start();
      await h.clock.advanceAsync(MINUTE);
      h.clock.jump(HOUR);
      const before = (await h.events()).length;

      await h.scheduler.checkForMissedTasks();

      expect(recovery.calls).toEqual([]);
      expect((await h.events()).length).toBe(before);
      expect(h.calls).toHaveLength(1);
      await expectSound(h);
    });

    it('is harmless when recovery returns nothing', async () => {
      const h = await setUp({ recoveryService: new RecoveryStub([]) });
      await h.scheduler.defineTask(oneShot('lost', HOUR));
      await h.scheduler.defineTask(oneShot('fine', 3 * HOUR));
      await h.scheduler.start();
      await h.scheduler.pause();
      h.clock.jump(2 * HOUR);

      await h.scheduler.start();

      expect((await h.scheduler.listExecutions({ taskId: 'lost' })).items[0]?.state).toBe('missed');
      expect(h.scheduler.armedCount).toBe(1);
      await h.clock.advanceAsync(HOUR);
      expect(h.calls).toHaveLength(1);
      expect(h.scheduler.status).toBe('running');
      await expectSound(h);
    });
  });

  describe('follow-ups', () => {
    it('falls back to the recurrence once retries are exhausted', async () => {
      const h = await setUp({
        handlers: {
          fail: () => {
            throw new Error('always');
          },
        },
      });
      await h.scheduler.defineTask({
        ...manualTask('flaky', { handler: 'fail' }),
        recurrence: { everyMs: HOUR, anchor: at(HOUR) },
        retry: { maxRetries: 1, delayMs: 10 * MINUTE },
      });
      await h.scheduler.start();

      await h.clock.advanceAsync(HOUR + 10 * MINUTE);

      const executions = (await h.scheduler.listExecutions({ taskId: 'flaky' })).items;
      expect(executions.map((e) => [e.cause, e.attempt, e.state, e.scheduledFor])).toEqual([
        ['initial', 0, 'retrying', at(HOUR)],
        ['retry', 1, 'recurred', at(HOUR + 10 * MINUTE)],
        ['recurrence', 0, 'scheduled', at(2 * HOUR)],
      ]);
      expect(executions[2]?.retriesRemaining).toBe(1);
      await expectSound(h);
    });

    it('follows an occurrence triggered early by hand with the one after its own time', async () => {
      const h = await setUp();
      await h.scheduler.defineTask({
        ...manualTask('hourly'),
        recurrence: { everyMs: HOUR, anchor: at(5 * MINUTE) },
      });
      await h.scheduler.start();
      const [first] = (await h.scheduler.listOccurrences()).items;

      await h.scheduler.triggerNow({ occurrenceId: first!.id });
      await h.clock.advanceAsync(2 * HOUR);

      expect(h.calls.map((c) => [c.cause, c.atMs - T0])).toEqual([
        ['initial', 0],
        ['recurrence', HOUR + 5 * MINUTE],
      ]);
      await expectSound(h);
    });

    it('keeps a single series when a recurring task is also run by hand', async () => {
      const h = await setUp();
      await h.scheduler.defineTask({
        ...manualTask('hourly'),
        recurrence: { everyMs: HOUR, anchor: at(5 * MINUTE) },
      });
      await h.scheduler.start();

      await h.scheduler.triggerNow({ taskId: 'hourly' });
      await h.clock.advanceAsync(3 * HOUR);

      expect(h.calls.map((c) => [c.cause, c.atMs - T0])).toEqual([
        ['manual', 0],
        ['initial', 5 * MINUTE],
        ['recurrence', HOUR + 5 * MINUTE],
        ['recurrence', 2 * HOUR + 5 * MINUTE],
      ]);
      expect((await h.scheduler.listExecutions({ state: 'scheduled' })).items).toHaveLength(1);
      await expectSound(h);
    });

    it('schedules nothing further after a trigger whose task was removed', async () => {
      const running = deferred();
      const h = await setUp({ handlers: { slow: () => running.promise } });
      await h.scheduler.defineTask({
        ...manualTask('gone', { handler: 'slow' }),
        recurrence: { everyMs: HOUR, anchor: at(HOUR) },
        retry: { maxRetries: 2 },
      });
      await h.scheduler.start();
      await h.clock.advanceAsync(HOUR);
      const [occ] = (await h.scheduler.listOccurrences({ taskId: 'gone' })).items;
      expect((await h.scheduler.getExecution(occ!.id))?.state).toBe('triggered');

      await h.scheduler.removeTask('gone');
      running.resolve();
      await h.clock.advanceAsync(0);

      expect(await h.scheduler.getExecution(occ!.id)).toMatchObject({ state: 'done' });
      expect((await h.scheduler.getExecution(occ!.id))?.followUpId).toBeUndefined();
      expect((await h.scheduler.listOccurrences({ taskId: 'gone' })).items).toHaveLength(1);
      expect(h.scheduler.armedCount).toBe(0);
      await h.clock.advanceAsync(3 * HOUR);
      expect(ofType(await h.events(), 'occurrence.triggered')).toHaveLength(1);
      await expectSound(h);
    });
  });
});
