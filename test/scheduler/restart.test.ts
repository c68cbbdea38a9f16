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
  oneShot,
  SECOND,
  T0,
  useHarnesses,
} from '../helpers/harness.js';
import { ofType, triggeredTwice } from '../helpers/logQueries.js';
import { useStores } from '../helpers/stores.js';

// A process that dies leaves only its log. A second scheduler opened on the same store (the
// same memory store object, or the same SQLite file) must carry on from what was recorded.

const stores = useStores();
const { setUp } = useHarnesses();

describe.each(stores)('SmartScheduler restarted on the $name store', (kind) => {
  /** Stamps log entries with whichever process's clock is current. */
  let current = new TestClock(T0);
  const wall = { now: () => current.now() };

  /** The first process: never stopped, just abandoned (its clock never moves again). */
  async function firstProcess(options: HarnessOptions = {}): Promise<Harness> {
    current = new TestClock(T0);
    return harness({ ...options, clock: current, store: await kind.open(wall) });
  }

  /** A new process at `atMs` on the log the crashed one left behind. */
  async function restart(
    store: EventStore,
    atMs: number,
    options: HarnessOptions = {},
  ): Promise<Harness> {
    current = new TestClock(atMs);
    const h = setUp({ ...options, clock: current, store: await kind.reopen(store, wall) });
    await h.scheduler.ready;
    return h;
  }

  it('rebuilds the read model, re-arms future occurrences and checks for missed ones', async () => {
    const first = await firstProcess();
    await first.scheduler.defineTask(oneShot('done', 30 * MINUTE));
    await first.scheduler.defineTask(
      oneShot('asleep', HOUR, { retry: { maxRetries: 1, delayMs: 15 * MINUTE } }),
    );
    await first.scheduler.defineTask(oneShot('graceful', 2 * HOUR));
    await first.scheduler.defineTask(oneShot('future', 5 * HOUR));
    await first.scheduler.start();
    await first.clock.advanceAsync(30 * MINUTE);
    const before = (await first.scheduler.listExecutions()).items;

    const second = await restart(first.store, T0 + 2 * HOUR + 10 * SECOND);
    expect((await second.scheduler.listExecutions()).items).toEqual(before);
    expect(second.scheduler.listTasks()).toEqual(first.scheduler.listTasks());
    expect(second.scheduler.armedCount).toBe(0);

    await second.scheduler.start();
    await second.clock.settle();

    const state = async (taskId: string) =>
      (await second.scheduler.listExecutions({ taskId })).items.map((e) => [e.cause, e.state]);
    expect(await state('done')).toEqual([['initial', 'done']]);
    expect(await state('graceful')).toEqual([['initial', 'done']]);
    expect(await state('asleep')).toEqual([
      ['initial', 'retrying'],
      ['retry', 'scheduled'],
    ]);
    expect(second.calls.map((c) => c.atMs)).toEqual([T0 + 2 * HOUR + 10 * SECOND]);
    expect(second.scheduler.armedCount).toBe(2); // 'future' and the retry of 'asleep'

    await second.clock.advanceAsync(4 * HOUR);
    expect(second.calls.map((c) => c.atMs - T0)).toEqual([
      2 * HOUR + 10 * SECOND,
      2 * HOUR + 15 * MINUTE + 10 * SECOND,
      5 * HOUR,
    ]);
    const events = await second.events();
    expect(triggeredTwice(events)).toEqual([]);
    expect(ofType(events, 'occurrence.missed')).toHaveLength(1);
    await expect(second.scheduler.verify()).resolves.toMatchObject({ ok: true });
  });

  it('records a run the crash interrupted as failed and retries it with the same key', async () => {
    const never = deferred();
    const first = await firstProcess({ handlers: { work: () => never.promise } });
    await first.scheduler.defineTask(
      oneShot('work', HOUR, { handler: 'work', retry: { maxRetries: 2, delayMs: 5 * MINUTE } }),
    );
    await first.scheduler.start();
    await first.clock.advanceAsync(HOUR);
    const [occ] = (await first.scheduler.listOccurrences()).items;
    expect((await first.scheduler.getExecution(occ!.id))?.state).toBe('triggered');
    const [triggered] = ofType(await first.events(), 'occurrence.triggered');

    const runs: { attempt: number; key: string; atMs: number }[] = [];
    const second = await restart(first.store, T0 + HOUR + MINUTE, {
      handlers: {
        work: (_occ, ctx) => {
          runs.push({ attempt: ctx.attempt, key: ctx.idempotencyKey, atMs: current.now() });
        },
      },
    });
    expect((await second.scheduler.getExecution(occ!.id))?.state).toBe('triggered');
    await second.scheduler.start();

    const [failed] = ofType(await second.events(), 'occurrence.failed');
    expect(failed?.data).toMatchObject({
      occurrenceId: occ!.id,
      interrupted: true,
      error: { name: 'InterruptedError' },
    });
    const [, retry] = (await second.scheduler.listOccurrences()).items;
    expect(retry).toMatchObject({
      cause: 'retry',
      attempt: 1,
      parentId: occ!.id,
      scheduledFor: at(HOUR + 6 * MINUTE),
    });
    expect(runs).toEqual([]);

    await second.clock.advanceAsync(5 * MINUTE);
    expect(runs).toEqual([
      { attempt: 1, key: triggered!.data.idempotencyKey, atMs: T0 + HOUR + 6 * MINUTE },
    ]);
    expect((await second.scheduler.getExecution(retry!.id))?.state).toBe('done');
    expect(triggeredTwice(await second.events())).toEqual([]);
  });
});
