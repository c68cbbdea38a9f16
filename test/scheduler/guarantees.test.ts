import { describe, expect, it } from 'vitest';
import { isPlanflowError } from '../../src/domain/errors.js';
import { memoryStore } from '../../src/log/memoryStore.js';
import { TestClock } from '../../src/testing/TestClock.js';
import {
  at,
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
import { ofType, triggerCounts, triggeredTwice } from '../helpers/logQueries.js';
import { flakyStore } from '../helpers/stores.js';

// At most one `occurrence.triggered` per occurrence, whatever the interleaving of commands,
// timers and handlers; and what pause and stop do to a handler that is already running.

const { setUp } = useHarnesses();

/** A running scheduler with one one-shot task, due `inMs` after T0, and its occurrence. */
async function startedOneShot(id: string, inMs: number, options: HarnessOptions = {}) {
  const h = setUp(options);
  await h.scheduler.defineTask(oneShot(id, inMs));
  await h.scheduler.start();
  const [occ] = (await h.scheduler.listOccurrences()).items;
  return { h, occ: occ! };
}

/** Settles a promise into its value or its error, so a race can be asserted either way. */
const settled = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

async function expectTriggeredOnce(h: Harness, occurrenceId: string): Promise<void> {
  const events = await h.events();
  expect(triggerCounts(events).get(occurrenceId)).toBe(1);
  expect(triggeredTwice(events)).toEqual([]);
  expect(h.calls.filter((c) => c.occurrenceId === occurrenceId)).toHaveLength(1);
}

describe('SmartScheduler', () => {
  describe('triggers each occurrence at most once', () => {
    it('when the same due occurrence is scheduled several times at once', async () => {
      const h = setUp();
      await h.scheduler.defineTask(manualTask('dup'));
      await h.scheduler.start();
      const occ = occurrenceAt('dup', 0);

      await Promise.all([1, 2, 3].map(() => h.scheduler.scheduleOccurrence(occ)));
      await h.scheduler.scheduleOccurrence(occ);
      await h.clock.advanceAsync(HOUR);

      await expectTriggeredOnce(h, occ.id);
      expect(ofType(await h.events(), 'occurrence.scheduled')).toHaveLength(1);
    });

    it('when pause is queued just before the timer fires', async () => {
      const { h, occ } = await startedOneShot('race', 30 * SECOND);

      const paused = h.scheduler.pause();
      h.clock.advance(30 * SECOND); // the timer fires in this tick; its claim queues behind pause
      await paused;
      await h.clock.advanceAsync(0);
      expect(h.calls).toEqual([]);
      expect((await h.scheduler.getExecution(occ.id))?.triggered).toBe(false);

      await h.scheduler.start(); // 0 s late: the missed check triggers it now
      await h.clock.advanceAsync(HOUR);
      await expectTriggeredOnce(h, occ.id);
    });

    it('when pause is queued just after the timer fired', async () => {
      const { h, occ } = await startedOneShot('race', 30 * SECOND);

      h.clock.advance(30 * SECOND); // the claim is queued first and wins
      await h.scheduler.pause();
      await h.clock.advanceAsync(0);
      expect((await h.scheduler.getExecution(occ.id))?.state).toBe('done');

      await h.scheduler.start();
      await h.clock.advanceAsync(HOUR);
      await expectTriggeredOnce(h, occ.id);
    });

    it('when start is called twice at once with an occurrence late within grace', async () => {
      const h = setUp();
      await h.scheduler.defineTask(oneShot('late', HOUR));
      await h.scheduler.defineTask(oneShot('future', 2 * HOUR));
      h.clock.jump(HOUR + 5 * SECOND);

      await Promise.all([h.scheduler.start(), h.scheduler.start()]);
      await h.clock.settle();

      expect(h.scheduler.armedCount).toBe(1);
      await h.clock.advanceAsync(2 * HOUR);
      for (const occ of (await h.scheduler.listOccurrences()).items)
        await expectTriggeredOnce(h, occ.id);
      expect(ofType(await h.events(), 'scheduler.started')).toHaveLength(1);
    });

    it('when triggerNow is called in the same tick as the timer fires', async () => {
      const { h, occ } = await startedOneShot('race', 30 * SECOND);

      const manual = settled(h.scheduler.triggerNow({ occurrenceId: occ.id }));
      h.clock.advance(30 * SECOND);
      const result = await manual;
      await h.clock.advanceAsync(HOUR);

      // The timer's claim and the manual trigger meet in the command queue: one of them
      // records the trigger; triggerNow resolves because its occurrence did trigger.
      expect(result).toEqual({ ok: true, value: occ.id });
      await expectTriggeredOnce(h, occ.id);
    });

    it('when triggerNow fires an armed occurrence before its timer', async () => {
      const { h, occ } = await startedOneShot('early', 30 * SECOND);

      await expect(h.scheduler.triggerNow({ occurrenceId: occ.id })).resolves.toBe(occ.id);
      await h.clock.advanceAsync(HOUR);

      await expectTriggeredOnce(h, occ.id);
      const [triggered] = ofType(await h.events(), 'occurrence.triggered');
      expect(triggered?.data).toMatchObject({ manual: true, lateByMs: 0 });
      expect(h.calls[0]?.atMs).toBe(T0);
    });

    it('when triggerNow fires an occurrence still beyond the horizon', async () => {
      const { h, occ } = await startedOneShot('far', 2 * HOUR);
      expect(h.scheduler.armedCount).toBe(1);

      await h.scheduler.triggerNow({ occurrenceId: occ.id });
      await h.clock.settle();

      expect(h.scheduler.armedCount).toBe(0);
      await expectOnlyHeartbeat(h); // its far-future timer entry went with it
      await h.clock.advanceAsync(3 * HOUR);
      await expectTriggeredOnce(h, occ.id);
    });

    it('when start re-arms an occurrence whose manual trigger is still queued', async () => {
      const { h, occ } = await startedOneShot('far', 2 * HOUR);

      await Promise.all([
        h.scheduler.triggerNow({ occurrenceId: occ.id }),
        h.scheduler.start(), // runs before the trigger's claim: the occurrence is still pending
        h.scheduler.scheduleOccurrence(occ),
      ]);
      await h.clock.settle();

      expect(h.scheduler.armedCount).toBe(0);
      await expectOnlyHeartbeat(h);
      await h.clock.advanceAsync(3 * HOUR);
      await expectTriggeredOnce(h, occ.id);
    });

    it('when the timer fires first and triggerNow loses', async () => {
      const { h, occ } = await startedOneShot('race', 30 * SECOND);

      h.clock.advance(30 * SECOND);
      const result = await settled(h.scheduler.triggerNow({ occurrenceId: occ.id }));
      await h.clock.advanceAsync(HOUR);

      expect(result.ok).toBe(false);
      expect(!result.ok && isPlanflowError(result.error, 'planflow:invalid-state')).toBe(true);
      await expectTriggeredOnce(h, occ.id);
    });

    it('when a second scheduler on the store, refused at start, triggers by hand as the holder’s timer fires', async () => {
      const clock = new TestClock(T0);
      const store = memoryStore({ clock });
      const a = setUp({ clock, store });
      await a.scheduler.defineTask(oneShot('shared', 30 * SECOND));
      const b = setUp({ clock, store });
      const [, refused] = await Promise.allSettled([a.scheduler.start(), b.scheduler.start()]);
      expect(refused).toMatchObject({ status: 'rejected', reason: { code: 'planflow:log-held' } });
      const [occ] = (await a.scheduler.listOccurrences()).items;

      await a.clock.advanceAsync(30 * SECOND - 1);
      await Promise.allSettled([
        a.clock.advanceAsync(1),
        b.scheduler.triggerNow({ occurrenceId: occ!.id }),
      ]);
      await a.clock.advanceAsync(HOUR);

      expect(triggerCounts(await a.events()).get(occ!.id)).toBe(1);
      expect(a.calls.length + b.calls.length).toBe(1);
      expect([...a.errors, ...b.errors]).toEqual([]);
    });
  });

  describe('with a handler running', () => {
    /** An hourly task whose first run (at +1 h) is still running until `running` resolves. */
    async function hourlyTaskRunning() {
      const running = deferred();
      const h = setUp({ handlers: { slow: () => running.promise } });
      await h.scheduler.defineTask({
        ...manualTask('hourly', { handler: 'slow' }),
        recurrence: { everyMs: HOUR, anchor: at(HOUR) },
      });
      await h.scheduler.start();
      await h.clock.advanceAsync(HOUR);
      return { h, running };
    }

    it('lets it finish on pause: the outcome and follow-up are recorded, armed only at start', async () => {
      const { h, running } = await hourlyTaskRunning();
      const [first] = (await h.scheduler.listOccurrences()).items;

      await h.scheduler.pause();
      running.resolve();
      await h.clock.advanceAsync(0);

      const [, next] = (await h.scheduler.listOccurrences()).items;
      expect(await h.scheduler.getExecution(first!.id)).toMatchObject({
        state: 'recurred',
        outcome: 'completed',
        followUpId: next!.id,
      });
      expect((await h.scheduler.getExecution(next!.id))?.state).toBe('scheduled');
      expect(h.scheduler.armedCount).toBe(0);
      await h.clock.advanceAsync(2 * HOUR); // past the follow-up's time: nothing fires
      expect((await h.scheduler.getExecution(next!.id))?.triggered).toBe(false);

      await h.scheduler.start(); // now +3 h: the follow-up (due +2 h) is recovered, not run late
      expect((await h.scheduler.getExecution(next!.id))?.outcome).toBe('missed');
      expect(h.scheduler.armedCount).toBe(1);
      expect(triggeredTwice(await h.events())).toEqual([]);
    });

    it('records its outcome after stop without arming its follow-up', async () => {
      const { h, running } = await hourlyTaskRunning();

      const stopping = h.scheduler.stop();
      await h.clock.settle();
      running.resolve();
      await stopping;

      const events = await h.events();
      const types = events.map((e) => e.type);
      expect(types.slice(-4)).toEqual([
        'occurrence.completed',
        'occurrence.scheduled',
        'occurrence.recurred',
        'scheduler.stopped',
      ]);
      expect(h.scheduler.armedCount).toBe(0);
      expect(h.clock.pending).toBe(0);
      await h.clock.advanceAsync(3 * HOUR);
      expect(ofType(await h.events(), 'occurrence.triggered')).toHaveLength(1);
      await expect(h.scheduler.start()).rejects.toMatchObject({
        code: 'planflow:scheduler-stopped',
      });
    });
  });

  describe('when the store fails', () => {
    it('reports a failed timer-driven trigger instead of swallowing it', async () => {
      const clock = new TestClock(T0);
      const store = flakyStore(memoryStore({ clock }));
      const reported: unknown[] = [];
      const h = setUp({ clock, store, onError: (error) => reported.push(error) });
      const published: unknown[] = [];
      h.scheduler.errors.subscribe((error) => published.push(error));
      await h.scheduler.defineTask(oneShot('a', 30 * SECOND));
      await h.scheduler.start();

      store.failing = true;
      await h.clock.advanceAsync(MINUTE);

      expect(reported).toHaveLength(1);
      expect(String(reported[0])).toContain('disk I/O error');
      expect(published).toEqual(reported);
      expect(h.calls).toEqual([]);
      expect((await h.scheduler.listExecutions()).items[0]?.triggered).toBe(false);
      store.failing = false;
    });

    it('reports an outcome that could not be recorded', async () => {
      const running = deferred();
      const clock = new TestClock(T0);
      const store = flakyStore(memoryStore({ clock }));
      const h = setUp({ clock, store, handlers: { slow: () => running.promise } });
      await h.scheduler.defineTask(oneShot('a', 30 * SECOND, { handler: 'slow' }));
      await h.scheduler.start();
      await h.clock.advanceAsync(30 * SECOND);

      store.failing = true;
      running.resolve();
      await h.clock.advanceAsync(0);

      expect(h.errors).toHaveLength(1);
      expect(h.errors[0]).toMatchObject({
        code: 'planflow:degraded',
        cause: { message: 'disk I/O error' },
      });
      expect(h.scheduler.status).toBe('degraded');
      expect((await h.scheduler.listExecutions()).items[0]?.state).toBe('triggered');

      // Once the store accepts writes, the run is recorded as what it was.
      store.failing = false;
      await h.clock.advanceAsync(SECOND);
      expect(h.scheduler.status).toBe('running');
      expect((await h.scheduler.listExecutions()).items[0]).toMatchObject({
        state: 'done',
        outcome: 'completed',
      });
    });

    it('rejects triggerNow when the trigger could not be recorded', async () => {
      const clock = new TestClock(T0);
      const store = flakyStore(memoryStore({ clock }));
      const { h, occ } = await startedOneShot('a', HOUR, { clock, store });

      store.failing = true;
      await expect(h.scheduler.triggerNow({ occurrenceId: occ.id })).rejects.toMatchObject({
        code: 'planflow:degraded',
        cause: { message: 'disk I/O error' },
      });

      expect(h.errors).toHaveLength(1);
      expect(h.errors[0]).toMatchObject({ code: 'planflow:degraded' });
      expect(h.calls).toEqual([]);
      store.failing = false;
    });
  });
});
