import { describe, expect, it } from 'vitest';
import { isPlanflowError } from '../../src/domain/errors.js';
import { MAX_BACKFILL_RUNS } from '../../src/domain/validateBackfill.js';
import { TestClock } from '../../src/testing/TestClock.js';
import {
  at,
  DAY,
  deferred,
  HOUR,
  harness,
  MINUTE,
  manualTask,
  OFFICE_HOURS,
  T0,
  useHarnesses,
} from '../helpers/harness.js';
import { ofType, triggeredTwice } from '../helpers/logQueries.js';
import { useStores } from '../helpers/stores.js';

// backfill(taskId, { from, to }) runs the occurrences the task's recurrence would have had in a
// past range, recorded with cause 'backfill', triggered now (never missed), one after another
// by default.

const stores = useStores();
const { setUp } = useHarnesses();

/** Hourly on the hour, created a day before T0 + 1 day (so the past range is after creation). */
const hourly = { ...manualTask('hourly'), recurrence: { cron: '0 * * * *' } };

describe.each(stores)('SmartScheduler.backfill on the $name store', (kind) => {
  it('runs each slot of the past range now, one after another, oldest first', async () => {
    let h = setUp();
    h = setUp({ store: await kind.open({ now: () => h.clock.now() }), clock: h.clock });
    await h.scheduler.defineTask(hourly);
    await h.scheduler.start();
    await h.clock.advanceAsync(6 * HOUR + 30 * MINUTE);
    const before = h.calls.length;
    const result = await h.scheduler.backfill('hourly', { from: at(HOUR), to: at(4 * HOUR) });
    expect(result.slots).toEqual([at(HOUR), at(2 * HOUR), at(3 * HOUR)]);
    expect(result.runs).toHaveLength(1);
    await h.clock.settle();
    const backfilled = h.calls.slice(before).filter((c) => c.cause === 'backfill');
    expect(backfilled.map((c) => c.atMs)).toEqual([
      T0 + 6 * HOUR + 30 * MINUTE,
      T0 + 6 * HOUR + 30 * MINUTE,
      T0 + 6 * HOUR + 30 * MINUTE,
    ]);
    const runs = h.occurrences.filter((o) => o.cause === 'backfill');
    expect(runs.map((o) => o.slot)).toEqual(result.slots);
    const events = await h.events();
    const ids = new Set(runs.map((o) => o.id));
    expect(ofType(events, 'occurrence.missed').filter((e) => ids.has(e.data.occurrenceId))).toEqual(
      [],
    );
    expect(triggeredTwice(events)).toEqual([]);
    // The series goes on as before: the next hourly run is at 7 h.
    await h.clock.advanceAsync(HOUR);
    expect(h.calls.at(-1)).toMatchObject({ cause: 'recurrence', atMs: T0 + 7 * HOUR });
  });
});

describe.each(stores)('a backfill across a restart on the $name store', (kind) => {
  it('goes on with the next slot after a crash in the middle, running none twice', async () => {
    let current = new TestClock(T0);
    const wall = { now: () => current.now() };
    const hold = deferred();
    let runs = 0;
    // First process: the second backfill run never finishes before the process dies.
    const first = harness({
      clock: current,
      store: await kind.open(wall),
      handlers: {
        record: () => {
          runs++;
          return runs >= 2 ? hold.promise : undefined;
        },
      },
    });
    await first.scheduler.defineTask({ ...hourly, calendar: 'ignore' });
    await first.clock.advanceAsync(5 * HOUR + 30 * MINUTE);
    await first.scheduler.start();
    await first.clock.settle();
    const before = runs;
    await first.scheduler.backfill('hourly', { from: at(HOUR), to: at(5 * HOUR) });
    await first.clock.settle();
    expect(runs - before).toBeGreaterThanOrEqual(1);

    current = new TestClock(T0 + 6 * HOUR);
    const second = setUp({ clock: current, store: await kind.reopen(first.store, wall) });
    await second.scheduler.start();
    await second.clock.settle();
    const events = await second.events();
    const backfills = ofType(events, 'occurrence.scheduled')
      .map((e) => e.data.occurrence)
      .filter((o) => o.cause === 'backfill');
    expect(backfills.map((o) => o.slot)).toEqual([
      at(HOUR),
      at(2 * HOUR),
      at(3 * HOUR),
      at(4 * HOUR),
    ]);
    const ids = new Set(backfills.map((o) => o.id));
    const triggered = ofType(events, 'occurrence.triggered').filter((e) =>
      ids.has(e.data.occurrenceId),
    );
    expect(triggered).toHaveLength(4);
    // The run the crash interrupted (slot 2 h) is recorded failed, and the batch went on.
    const interrupted = ofType(events, 'occurrence.failed').filter((e) => e.data.interrupted);
    expect(
      interrupted.map((e) => backfills.find((o) => o.id === e.data.occurrenceId)?.slot),
    ).toEqual([at(2 * HOUR)]);
    expect(triggeredTwice(events)).toEqual([]);
    expect(ofType(events, 'occurrence.missed').filter((e) => ids.has(e.data.occurrenceId))).toEqual(
      [],
    );
    hold.resolve();
  });
});

describe('SmartScheduler.backfill', () => {
  it('with bufferAll starts the next run only when the one before it ends', async () => {
    const gates = [deferred(), deferred()];
    const starts: number[] = [];
    const h = setUp({
      handlers: {
        slow: () => {
          starts.push(h.clock.now());
          return gates[starts.length - 1]?.promise;
        },
      },
    });
    await h.scheduler.defineTask({ ...hourly, handler: 'slow' });
    await h.clock.advanceAsync(3 * HOUR + 30 * MINUTE);
    await h.scheduler.start();
    await h.scheduler.backfill('hourly', { from: at(HOUR), to: at(3 * HOUR) });
    await h.clock.advanceAsync(MINUTE);
    // Two slots (1 h, 2 h): the second run is recorded and started once the first ends.
    expect(starts).toHaveLength(1);
    expect(h.occurrences.filter((o) => o.cause === 'backfill')).toHaveLength(1);
    gates[0]!.resolve();
    await h.clock.advanceAsync(MINUTE);
    expect(starts).toHaveLength(2);
    expect(h.occurrences.filter((o) => o.cause === 'backfill').map((o) => o.slot)).toEqual([
      at(HOUR),
      at(2 * HOUR),
    ]);
    gates[1]!.resolve();
  });

  it('with allowAll starts them all at once', async () => {
    const h = setUp();
    await h.scheduler.defineTask({ ...hourly, calendar: 'ignore' });
    await h.clock.advanceAsync(5 * HOUR);
    await h.scheduler.start();
    await h.clock.settle();
    const before = h.calls.length;
    const result = await h.scheduler.backfill('hourly', {
      from: at(HOUR),
      to: at(4 * HOUR),
      overlap: 'allowAll',
    });
    expect(result.runs).toHaveLength(3);
    await h.clock.settle();
    expect(h.calls.slice(before).map((c) => c.cause)).toEqual(['backfill', 'backfill', 'backfill']);
  });

  it('places the slots on the calendar as nextRuns would', async () => {
    const h = setUp({ calendar: OFFICE_HOURS });
    await h.scheduler.defineTask({ ...hourly, recurrence: { cron: '0 7 * * *' } });
    await h.clock.advanceAsync(3 * DAY);
    await h.scheduler.start();
    const result = await h.scheduler.backfill('hourly', { from: at(-HOUR), to: at(2 * DAY) });
    // 07:00 is before the office opens at 08:00: placed at 08:00 (T0 is Monday 08:00).
    expect(result.slots).toEqual([at(0), at(DAY)]);
  });

  it('refuses a range the wrong way round, in the future, or with too many slots, saying how to fix it', async () => {
    const h = setUp();
    await h.scheduler.defineTask({ ...hourly, recurrence: { everyMs: MINUTE } });
    await h.clock.advanceAsync(30 * DAY);
    const refused = async (options: unknown) => {
      const error: unknown = await h.scheduler
        .backfill('hourly', options as { from: string; to: string })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(isPlanflowError(error, 'planflow:invalid-input')).toBe(true);
      return (error as Error).message;
    };
    expect(await refused({ from: at(2 * HOUR), to: at(HOUR) })).toContain('after from');
    expect(await refused({ from: at(HOUR), to: at(31 * DAY) })).toContain('at most now');
    expect(await refused({ from: at(0), to: at(DAY) })).toMatch(
      new RegExp(`more than ${MAX_BACKFILL_RUNS} slots.*split it`),
    );
    expect(await refused({ from: at(0) })).toContain('to');
    expect(await refused({ from: at(0), to: at(HOUR), overlap: 'skip' })).toContain('bufferAll');
    expect(await refused({ from: at(0), to: at(HOUR), sideways: true })).toContain(
      'not a known field',
    );
    expect(await refused(null)).toContain('options');
    await h.scheduler.defineTask(manualTask('once'));
    await expect(h.scheduler.backfill('once', { from: at(0), to: at(HOUR) })).rejects.toThrow(
      /has no recurrence/,
    );
    await expect(h.scheduler.backfill('nobody', { from: at(0), to: at(HOUR) })).rejects.toThrow(
      /no task "nobody"/,
    );
    // Nothing was recorded by the refusals.
    expect(h.occurrences.filter((o) => o.cause === 'backfill')).toEqual([]);
  });
});
