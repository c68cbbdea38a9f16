import { describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/log/EventStore.js';
import { TestClock } from '../../src/testing/TestClock.js';
import {
  at,
  deferred,
  type Harness,
  type HarnessOptions,
  HOUR,
  harness,
  MINUTE,
  manualTask,
  occurrenceAt,
  SECOND,
  T0,
  useHarnesses,
} from '../helpers/harness.js';
import { ofType } from '../helpers/logQueries.js';
import { useStores } from '../helpers/stores.js';

// Per-task pause: a paused task's waiting occurrences are disarmed (nothing triggers by time,
// nothing is recorded missed), triggerNow still runs it, and resuming arms what is still to
// come and runs the missed check for what passed. Recorded as facts, so it survives restarts.

const { setUp } = useHarnesses();

/** A task every 10 minutes, first due 10 minutes after T0. */
const every10 = (id: string) => ({
  id,
  title: id,
  handler: 'record',
  startAt: at(10 * MINUTE),
  recurrence: { everyMs: 10 * MINUTE },
});

const states = async (h: Harness, taskId: string) =>
  (await h.scheduler.listExecutions({ taskId })).items.map((e) => [e.cause, e.state]);

describe('SmartScheduler.pauseTask', () => {
  it('disarms the waiting occurrences: nothing of the task triggers by time', async () => {
    const h = setUp();
    await h.scheduler.defineTask(every10('paused'));
    await h.scheduler.defineTask(every10('other'));
    await h.scheduler.start();
    expect(h.scheduler.armedCount).toBe(2);

    const task = await h.scheduler.pauseTask('paused');
    expect(task.paused).toBe(true);
    expect(h.scheduler.getTask('paused')?.paused).toBe(true);
    expect(h.scheduler.armedCount).toBe(1);
    await h.clock.advanceAsync(HOUR);

    const ran = new Set(
      h.calls.map((c) => h.occurrences.find((o) => o.id === c.occurrenceId)?.taskId),
    );
    expect([...ran]).toEqual(['other']);
    expect(await states(h, 'paused')).toEqual([['initial', 'scheduled']]);
    expect(ofType(await h.events(), 'task.paused').map((e) => e.data)).toEqual([
      { taskId: 'paused' },
    ]);
    expect(h.errors).toEqual([]);
  });

  it('records nothing when the task is already paused', async () => {
    const h = setUp();
    await h.scheduler.defineTask(every10('t'));
    await h.scheduler.pauseTask('t');
    await h.scheduler.pauseTask('t');
    await h.scheduler.updateTask('t', { paused: true });

    expect(ofType(await h.events(), 'task.paused')).toHaveLength(1);
  });

  it('still runs by hand, and records the follow-up without arming it', async () => {
    const h = setUp();
    await h.scheduler.defineTask(
      manualTask('job', { recurrence: { everyMs: 10 * MINUTE }, startAt: at(HOUR) }),
    );
    await h.scheduler.start();
    await h.scheduler.pauseTask('job');
    const [first] = (await h.scheduler.listOccurrences({ taskId: 'job' })).items;

    await h.scheduler.triggerNow({ occurrenceId: first!.id });
    await h.clock.settle();

    expect(h.calls.map((c) => c.occurrenceId)).toEqual([first!.id]);
    expect(await states(h, 'job')).toEqual([
      ['initial', 'recurred'],
      ['recurrence', 'scheduled'],
    ]);
    expect(h.scheduler.armedCount).toBe(0);
    await h.clock.advanceAsync(2 * HOUR);
    expect(h.calls).toHaveLength(1);
  });

  it("lets a running handler finish; its follow-up waits for the task's resume", async () => {
    const gate = deferred();
    const h = setUp({ handlers: { slow: () => gate.promise } });
    await h.scheduler.defineTask({ ...every10('slow'), handler: 'slow' });
    await h.scheduler.start();
    await h.clock.advanceAsync(10 * MINUTE);

    await h.scheduler.pauseTask('slow');
    gate.resolve();
    await h.clock.settle();

    expect(await states(h, 'slow')).toEqual([
      ['initial', 'recurred'],
      ['recurrence', 'scheduled'],
    ]);
    expect(h.scheduler.armedCount).toBe(0);
  });

  it("leaves a paused task's late occurrences alone when another task's miss is recovered", async () => {
    const h = setUp();
    await h.scheduler.defineTask(every10('paused'));
    await h.scheduler.defineTask(every10('other'));
    await h.scheduler.start();
    await h.scheduler.pauseTask('paused');
    await h.scheduler.pause();
    await h.clock.advanceAsync(HOUR);

    await h.scheduler.start();
    await h.clock.settle();

    expect(await states(h, 'other')).toEqual([
      ['initial', 'recovered'],
      ['recovery', 'scheduled'],
    ]);
    expect(await states(h, 'paused')).toEqual([['initial', 'scheduled']]);
    expect(ofType(await h.events(), 'occurrence.missed')).toHaveLength(1);
  });

  it('keeps the task paused across the scheduler-wide pause and start', async () => {
    const h = setUp();
    await h.scheduler.defineTask(every10('t'));
    await h.scheduler.start();
    await h.scheduler.pauseTask('t');
    await h.scheduler.pause();
    await h.scheduler.start();

    expect(h.scheduler.armedCount).toBe(0);
    await h.clock.advanceAsync(HOUR);
    expect(h.calls).toHaveLength(0);
  });

  it('is kept by defineTask with the same definition, and by a changed one', async () => {
    const h = setUp();
    await h.scheduler.defineTask(every10('t'));
    await h.scheduler.start();
    await h.scheduler.pauseTask('t');

    expect((await h.scheduler.defineTask(every10('t'))).paused).toBe(true);
    const changed = await h.scheduler.defineTask({ ...every10('t'), title: 'renamed' });

    expect(changed).toMatchObject({ title: 'renamed', paused: true });
    // The new title does not move the first run: it is kept, still waiting for the resume.
    expect(await states(h, 't')).toEqual([['initial', 'scheduled']]);
    expect(h.scheduler.armedCount).toBe(0);
    expect(ofType(await h.events(), 'task.updated')[0]?.data.task.paused).toBe(true);
  });

  it('maps updateTask({ paused }) and defineTask({ paused }) onto pause and resume', async () => {
    const h = setUp();
    await h.scheduler.defineTask({ ...every10('t'), paused: true });
    await h.scheduler.start();
    expect(h.scheduler.armedCount).toBe(0);

    await h.scheduler.updateTask('t', { paused: false, title: 'T' });
    expect(h.scheduler.getTask('t')).not.toHaveProperty('paused');
    expect(h.scheduler.armedCount).toBe(1);
    await h.scheduler.updateTask('t', { paused: true });
    expect(h.scheduler.armedCount).toBe(0);
    await h.scheduler.updateTask('t', { paused: null });
    expect(h.scheduler.armedCount).toBe(1);

    const types = (await h.events()).filter((e) => e.type.startsWith('task.')).map((e) => e.type);
    expect(types).toEqual([
      'task.defined',
      'task.paused',
      'task.updated',
      'task.resumed',
      'task.paused',
      'task.resumed',
    ]);
    // Neither a pause nor a new title cancels the first run.
    expect(await states(h, 't')).toEqual([['initial', 'scheduled']]);
  });

  it("records an occurrence scheduled for it without arming it ('paused')", async () => {
    const h = setUp();
    await h.scheduler.defineTask(manualTask('t'));
    await h.scheduler.start();
    await h.scheduler.pauseTask('t');
    const one = occurrenceAt('t', HOUR);
    const two = occurrenceAt('t', 2 * HOUR);

    expect(await h.scheduler.scheduleOccurrence(one)).toBe('paused');
    expect(await h.scheduler.scheduleOccurrences([two])).toEqual(['paused']);
    expect(h.scheduler.armedCount).toBe(0);
    expect((await h.scheduler.getExecution(one.id))?.state).toBe('scheduled');
    await h.scheduler.resumeTask('t');
    expect(h.scheduler.armedCount).toBe(2);
  });

  it('refuses an unknown task with a NotFoundError naming the way out', async () => {
    const h = setUp();
    await expect(h.scheduler.pauseTask('nope')).rejects.toMatchObject({
      code: 'planflow:not-found',
      message: expect.stringContaining('listTasks()'),
    });
    await expect(h.scheduler.resumeTask('nope')).rejects.toMatchObject({
      code: 'planflow:not-found',
    });
  });
});

describe('SmartScheduler.resumeTask', () => {
  it('re-arms what is still to come', async () => {
    const h = setUp();
    await h.scheduler.defineTask(every10('t'));
    await h.scheduler.start();
    await h.scheduler.pauseTask('t');
    await h.clock.advanceAsync(5 * MINUTE);

    await h.scheduler.resumeTask('t');
    expect(h.scheduler.armedCount).toBe(1);
    await h.clock.advanceAsync(5 * MINUTE);

    expect(h.calls.map((c) => c.atMs)).toEqual([T0 + 10 * MINUTE]);
    expect(ofType(await h.events(), 'task.resumed')).toHaveLength(1);
  });

  it('runs the missed check for the task: what passed beyond grace is missed and recovered', async () => {
    const h = setUp();
    await h.scheduler.defineTask(every10('t'));
    await h.scheduler.start();
    await h.scheduler.pauseTask('t');
    await h.clock.advanceAsync(HOUR);
    expect(ofType(await h.events(), 'occurrence.missed')).toHaveLength(0);

    await h.scheduler.resumeTask('t');

    const missed = ofType(await h.events(), 'occurrence.missed');
    expect(missed.map((e) => e.data.lateByMs)).toEqual([50 * MINUTE]);
    expect(await states(h, 't')).toEqual([
      ['initial', 'recovered'],
      ['recovery', 'scheduled'],
    ]);
    await h.clock.advanceAsync(10 * MINUTE);
    expect(h.calls.map((c) => c.atMs)).toEqual([T0 + 70 * MINUTE]);
  });

  it('triggers at once an occurrence late by no more than grace', async () => {
    const h = setUp();
    await h.scheduler.defineTask(every10('t'));
    await h.scheduler.start();
    await h.scheduler.pauseTask('t');
    await h.clock.advanceAsync(10 * MINUTE + 20 * SECOND);

    await h.scheduler.resumeTask('t');
    await h.clock.settle();

    expect(h.calls.map((c) => c.atMs)).toEqual([T0 + 10 * MINUTE + 20 * SECOND]);
    const [triggered] = ofType(await h.events(), 'occurrence.triggered');
    expect(triggered?.data.lateByMs).toBe(20 * SECOND);
  });

  it('arms nothing while the whole scheduler is paused; start does', async () => {
    const h = setUp();
    await h.scheduler.defineTask(every10('t'));
    await h.scheduler.start();
    await h.scheduler.pauseTask('t');
    await h.scheduler.pause();

    await h.scheduler.resumeTask('t');
    expect(h.scheduler.armedCount).toBe(0);
    await h.scheduler.start();

    expect(h.scheduler.armedCount).toBe(1);
  });
});

const stores = useStores();

describe.each(stores)('a paused task on the $name store', (kind) => {
  let current = new TestClock(T0);
  const wall = { now: () => current.now() };

  async function open(atMs: number, store?: EventStore, options: HarnessOptions = {}) {
    current = new TestClock(atMs);
    const h =
      store === undefined
        ? harness({ ...options, clock: current, store: await kind.open(wall) })
        : setUp({ ...options, clock: current, store: await kind.reopen(store, wall) });
    await h.scheduler.ready;
    return h;
  }

  it('stays paused after a restart, and what it missed is decided when it resumes', async () => {
    const first = await open(T0);
    await first.scheduler.defineTask(every10('t'));
    await first.scheduler.start();
    await first.scheduler.pauseTask('t');

    const second = await open(T0 + HOUR, first.store);
    expect(second.scheduler.getTask('t')?.paused).toBe(true);
    await second.scheduler.start();
    await second.clock.settle();
    expect(second.scheduler.armedCount).toBe(0);
    expect(await states(second, 't')).toEqual([['initial', 'scheduled']]);

    await second.scheduler.resumeTask('t');
    expect(await states(second, 't')).toEqual([
      ['initial', 'recovered'],
      ['recovery', 'scheduled'],
    ]);

    await second.scheduler.stop();
    const third = await open(T0 + HOUR, second.store);
    expect(third.scheduler.getTask('t')).not.toHaveProperty('paused');
    expect(ofType(await third.events(), 'task.resumed')).toHaveLength(1);
  });
});
