import { describe, expect, it } from 'vitest';
import type { CatchUpPolicyInput } from '../../src/domain/types.js';
import type { EventStore } from '../../src/log/EventStore.js';
import type { StoredEvent } from '../../src/log/events.js';
import { TestClock } from '../../src/testing/TestClock.js';
import {
  at,
  deferred,
  type Harness,
  type HarnessOptions,
  HOUR,
  harness,
  MINUTE,
  SECOND,
  T0,
  useHarnesses,
} from '../helpers/harness.js';
import { ofType, triggeredTwice } from '../helpers/logQueries.js';
import { useStores } from '../helpers/stores.js';

// The issue: after an hour down, a 10-minute task's six missed slots left no entry; only the
// one pending occurrence was recorded missed. Each task now says what becomes of such slots
// (`catchUp`), and every slot that is not run is a recorded fact (`task.slotsSkipped`).

const stores = useStores();
const { setUp } = useHarnesses();

/** Every 10 minutes from T0 + 10 min, outside the calendar (exact times). */
const every10 = (catchUp?: CatchUpPolicyInput) => ({
  id: 't',
  title: 't',
  handler: 'record',
  calendar: 'ignore' as const,
  startAt: at(10 * MINUTE),
  recurrence: { everyMs: 10 * MINUTE },
  ...(catchUp === undefined ? {} : { catchUp }),
});

const minutes = (isos: readonly string[]) => isos.map((s) => (Date.parse(s) - T0) / MINUTE);

/** The slots each `task.slotsSkipped` entry names, in minutes after T0, with reason and policy. */
const skippedOf = (events: readonly StoredEvent[]) =>
  ofType(events, 'task.slotsSkipped').map((e) => ({
    slots: minutes(e.data.slots),
    reason: e.data.reason,
    policy: e.data.policy,
  }));

describe.each(stores)('catch-up after downtime on the $name store', (kind) => {
  let current = new TestClock(T0);
  const wall = { now: () => current.now() };

  /** Runs the task's 10-minute slot, then leaves the process (the next slot is 20 min). */
  async function firstProcess(
    options: HarnessOptions,
    task: ReturnType<typeof every10>,
  ): Promise<Harness> {
    current = new TestClock(T0);
    const h = harness({ ...options, clock: current, store: await kind.open(wall) });
    await h.scheduler.defineTask(task);
    await h.scheduler.start();
    await h.clock.advanceAsync(10 * MINUTE);
    expect(h.calls).toHaveLength(1);
    return h;
  }

  /** A new process at `atMs` on the log; `abandoned` when a later restart takes it over. */
  async function restart(
    store: EventStore,
    atMs: number,
    options: HarnessOptions = {},
    abandoned = false,
  ) {
    current = new TestClock(atMs);
    const reopened = { ...options, clock: current, store: await kind.reopen(store, wall) };
    const h = abandoned ? harness(reopened) : setUp(reopened);
    await h.scheduler.start();
    await h.clock.settle();
    return h;
  }

  const down = 70 * MINUTE + 5 * SECOND; // back at 80 min 5 s: slots 20…80 passed

  it('skip (the default) records the pending occurrence missed and every other slot skipped', async () => {
    const first = await firstProcess({}, every10());
    const second = await restart(first.store, T0 + 10 * MINUTE + down);
    const events = await second.events();
    const timeOf = new Map(
      ofType(events, 'occurrence.scheduled').map((e) => [e.data.occurrence.id, e.data.occurrence]),
    );
    const missed = ofType(events, 'occurrence.missed').map((e) => timeOf.get(e.data.occurrenceId)!);
    expect(minutes(missed.map((o) => o.scheduledFor))).toEqual([20]);
    expect(skippedOf(events)).toEqual([
      { slots: [30, 40, 50, 60, 70, 80], reason: 'downtime', policy: 'skip' },
    ]);
    expect(second.calls).toEqual([]);
    // The seed's recovery: the next run is the next slot after now.
    await second.clock.advanceAsync(10 * MINUTE);
    expect(second.calls.map((c) => (c.atMs - T0) / MINUTE)).toEqual([90]);
  });

  it('latest runs once now for the missed slots, and records the others as caught up by it', async () => {
    const first = await firstProcess({}, every10({ policy: 'latest' }));
    const second = await restart(first.store, T0 + 10 * MINUTE + down);
    const events = await second.events();
    expect(second.calls.map((c) => [c.cause, c.atMs - T0])).toEqual([
      ['catch-up', 80 * MINUTE + 5 * SECOND],
    ]);
    const run = second.occurrences.find((o) => o.cause === 'catch-up')!;
    expect(run.slot).toBe(at(80 * MINUTE));
    const [caught] = ofType(events, 'task.slotsSkipped');
    expect(caught?.data).toMatchObject({
      reason: 'caught-up',
      policy: 'latest',
      caughtUpBy: run.id,
    });
    expect(minutes(caught!.data.slots)).toEqual([30, 40, 50, 60, 70]);
    await second.clock.advanceAsync(10 * MINUTE);
    expect(second.calls.map((c) => c.cause)).toEqual(['catch-up', 'recovery']);
  });

  it('all runs each missed slot, oldest first, one after another', async () => {
    const first = await firstProcess({}, every10({ policy: 'all' }));
    const second = await restart(first.store, T0 + 10 * MINUTE + down);
    const slots = second.occurrences
      .filter((o) => o.cause === 'catch-up')
      .map((o) => (Date.parse(o.slot!) - T0) / MINUTE);
    expect(slots).toEqual([20, 30, 40, 50, 60, 70, 80]);
    expect(second.calls.filter((c) => c.cause === 'catch-up')).toHaveLength(7);
    expect(skippedOf(await second.events())).toEqual([]);
    expect(triggeredTwice(await second.events())).toEqual([]);
  });

  it('all stops at maxRuns and records the rest skipped over the cap', async () => {
    const first = await firstProcess({}, every10({ policy: 'all', maxRuns: 3 }));
    const second = await restart(first.store, T0 + 10 * MINUTE + down);
    const ran = second.occurrences
      .filter((o) => o.cause === 'catch-up')
      .map((o) => (Date.parse(o.slot!) - T0) / MINUTE);
    expect(ran).toEqual([20, 30, 40]);
    expect(skippedOf(await second.events())).toEqual([
      { slots: [50, 60, 70, 80], reason: 'over-cap', policy: 'all' },
    ]);
  });

  it('slots older than the catch-up window are recorded skipped, not run', async () => {
    const first = await firstProcess({}, every10({ policy: 'all', windowMs: 25 * MINUTE }));
    const second = await restart(first.store, T0 + 10 * MINUTE + down);
    const ran = second.occurrences
      .filter((o) => o.cause === 'catch-up')
      .map((o) => (Date.parse(o.slot!) - T0) / MINUTE);
    expect(ran).toEqual([60, 70, 80]);
    expect(skippedOf(await second.events())).toEqual([
      { slots: [30, 40, 50], reason: 'outside-window', policy: 'all' },
    ]);
  });

  it('a restart in the middle of the catch-up runs goes on with the next slot', async () => {
    const hold = deferred();
    const first = await firstProcess({}, every10({ policy: 'all' }));
    // Second process: the handler never finishes its second catch-up run.
    let runs = 0;
    const second = await restart(
      first.store,
      T0 + 10 * MINUTE + down,
      {
        handlers: {
          record: () => {
            runs++;
            return runs >= 2 ? hold.promise : undefined;
          },
        },
      },
      true,
    );
    expect(runs).toBe(2);
    // Third process, a minute later: the interrupted run is recorded failed, and the batch
    // goes on with the slots after it, none run twice, none recorded missed.
    const third = await restart(second.store, T0 + 10 * MINUTE + down + MINUTE);
    const events = await third.events();
    const slots = (cause: string) =>
      third.occurrences
        .filter((o) => o.cause === cause)
        .map((o) => (Date.parse(o.slot!) - T0) / MINUTE);
    expect(third.calls.filter((c) => c.cause === 'catch-up')).toHaveLength(5);
    expect(slots('catch-up').slice(-5)).toEqual([40, 50, 60, 70, 80]);
    expect(triggeredTwice(events)).toEqual([]);
    const catchUpIds = new Set(
      ofType(events, 'occurrence.scheduled')
        .filter((e) => e.data.occurrence.cause === 'catch-up')
        .map((e) => e.data.occurrence.id),
    );
    expect(
      ofType(events, 'occurrence.missed').filter((e) => catchUpIds.has(e.data.occurrenceId)),
    ).toEqual([]);
    hold.resolve();
  });
});

describe('catch-up after a pause', () => {
  it('after the task is paused and resumed, its policy decides the slots it missed', async () => {
    const h = setUp();
    await h.scheduler.defineTask(every10({ policy: 'latest' }));
    await h.scheduler.start();
    await h.clock.advanceAsync(10 * MINUTE);
    await h.scheduler.pauseTask('t');
    await h.clock.advanceAsync(HOUR);
    await h.scheduler.resumeTask('t');
    await h.clock.settle();
    const events = await h.events();
    expect(skippedOf(events)).toEqual([
      { slots: [30, 40, 50, 60], reason: 'caught-up', policy: 'latest' },
    ]);
    expect(h.calls.map((c) => [c.cause, (c.atMs - T0) / MINUTE])).toEqual([
      ['initial', 10],
      ['catch-up', 70],
    ]);
  });

  it('after the scheduler is paused and started again, skipped slots say paused', async () => {
    const h = setUp();
    await h.scheduler.defineTask(every10());
    await h.scheduler.start();
    await h.clock.advanceAsync(10 * MINUTE);
    await h.scheduler.pause();
    await h.clock.advanceAsync(HOUR);
    await h.scheduler.start();
    await h.clock.settle();
    expect(skippedOf(await h.events())).toEqual([
      { slots: [30, 40, 50, 60, 70], reason: 'paused', policy: 'skip' },
    ]);
  });
});

describe('catch-up after sleep', () => {
  it('records the slots a sleep overtook, and runs the latest under policy latest', async () => {
    const h = setUp({ clock: new TestClock(T0, { monotonic: true }) });
    await h.scheduler.defineTask(every10({ policy: 'latest' }));
    await h.scheduler.start();
    await h.clock.advanceAsync(10 * MINUTE);
    h.clock.sleep(HOUR);
    await h.clock.advanceAsync(2 * SECOND);
    const events = await h.events();
    expect(ofType(events, 'scheduler.clock_jumped')).toHaveLength(1);
    // Woken at 70 min: slot 20 was pending (recorded missed), 70 runs, 30…60 stand with it.
    expect(skippedOf(events)).toEqual([
      { slots: [30, 40, 50, 60], reason: 'caught-up', policy: 'latest' },
    ]);
    expect(h.calls.map((c) => c.cause)).toEqual(['initial', 'catch-up']);
  });

  it('a 1-minute task down for a month records every slot, a thousand per entry', async () => {
    const h = setUp();
    await h.scheduler.defineTask({ ...every10(), recurrence: { everyMs: MINUTE } });
    await h.clock.advanceAsync(30 * 24 * HOUR);
    await h.scheduler.start();
    await h.clock.settle();
    const entries = ofType(await h.events(), 'task.slotsSkipped');
    const slots = entries.flatMap((e) => e.data.slots);
    // Slots 11 min … 30 days: the first (10 min) is the occurrence recorded missed.
    expect(slots).toHaveLength(30 * 24 * 60 - 10);
    expect(new Set(slots).size).toBe(slots.length);
    expect(entries.every((e) => e.data.slots.length <= 1000)).toBe(true);
    expect(entries).toHaveLength(Math.ceil(slots.length / 1000));
  });
});
