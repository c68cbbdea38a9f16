import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/domain/errors.js';
import type { Occurrence } from '../../src/domain/types.js';
import type { EventStore } from '../../src/log/EventStore.js';
import type { StoredEvent } from '../../src/log/events.js';
import { DefaultCalendarPlanner } from '../../src/planning/DefaultCalendarPlanner.js';
import type { PlanningContext } from '../../src/planning/ports.js';
import type { ScheduleResult, SmartScheduler } from '../../src/scheduler/SmartScheduler.js';
import { TestClock } from '../../src/testing/TestClock.js';
import { forwardStore } from '../helpers/forwardStore.js';
import {
  at,
  DAY,
  type Harness,
  type HarnessOptions,
  HOUR,
  MINUTE,
  manualTask,
  OFFICE_HOURS,
  occurrenceAt,
  T0,
  useHarnesses,
} from '../helpers/harness.js';
import { illegalLifecycles, ofType, triggerCounts } from '../helpers/logQueries.js';
import { rejection } from '../helpers/rejection.js';
import { flakyStore, type StoreKind, useStores } from '../helpers/stores.js';

const { setUp } = useHarnesses();
const stores = useStores();
/**
 * Worlds the batch-equals-singles property tries per store: each opens three stores, and a
 * PostgreSQL one costs a schema and round trips (15 worlds there took 10 s of the suite's
 * budget), so PostgreSQL checks a few worlds and memory carries the breadth.
 */
const PROPERTY_RUNS: Record<StoreKind['name'], number> = { memory: 60, sqlite: 15, postgres: 5 };

/**
 * What the entries say, without what the store adds (seq, time, hash, id) and without the
 * scheduler's own lifecycle entries (they name the process instance).
 */
const facts = (events: readonly StoredEvent[]) =>
  events
    .filter((e) => e.stream !== 'scheduler')
    .map((e) => ({ type: e.type, stream: e.stream, data: withoutInstance(e.data) }));

/** Entry data without the instance that recorded it: each scheduler of the test has its own. */
function withoutInstance(data: object): object {
  if (!('instanceId' in data)) return data;
  const { instanceId: _instance, ...rest } = data;
  return rest;
}

/** Counts the store's appends, to tell one append from many. */
function countingStore(store: EventStore): EventStore & { appends: number } {
  const counted = {
    ...forwardStore(store),
    appends: 0,
    append: (events: Parameters<EventStore['append']>[0], options?: object) => {
      counted.appends++;
      return store.append(events, options);
    },
  };
  return counted;
}

/** The same item under the same id but another time: refused as a changed occurrence. */
const alias = (occurrence: Occurrence, inMs: number): Occurrence =>
  Object.freeze({ ...occurrence, scheduledFor: at(inMs) });

async function started(options: HarnessOptions = {}, tasks = ['a', 'b']): Promise<Harness> {
  const h = setUp({ calendar: OFFICE_HOURS, ...options });
  for (const id of tasks) await h.scheduler.defineTask(manualTask(id));
  await h.scheduler.start();
  return h;
}

async function eventCount(h: Harness): Promise<number> {
  return (await h.events()).length;
}

describe('scheduleOccurrences', () => {
  describe('results', () => {
    it('returns one result per item, in input order, and records them in one append', async () => {
      const clock = new TestClock(T0);
      const store = countingStore(await stores[0]!.open(clock));
      const h = await started({ clock, store });
      const list = [
        occurrenceAt('a', HOUR),
        occurrenceAt('b', 11 * HOUR), // 19:00: outside working hours
        occurrenceAt('a', 2 * HOUR),
      ];
      const appendsBefore = store.appends;
      const eventsBefore = await eventCount(h);

      await expect(h.scheduler.scheduleOccurrences(list)).resolves.toEqual([
        'armed',
        'skipped',
        'armed',
      ]);

      expect(store.appends - appendsBefore).toBe(1);
      const added = (await h.events()).slice(eventsBefore);
      expect(added.map((e) => [e.type, e.stream])).toEqual([
        ['occurrence.scheduled', `occurrence:${list[0]!.id}`],
        ['occurrence.scheduled', `occurrence:${list[1]!.id}`],
        ['occurrence.skipped', `occurrence:${list[1]!.id}`],
        ['occurrence.scheduled', `occurrence:${list[2]!.id}`],
      ]);
      expect(h.scheduler.armedCount).toBe(2);
      await h.clock.advanceAsync(3 * HOUR);
      expect(h.calls.map((c) => [c.occurrenceId, c.atMs])).toEqual([
        [list[0]!.id, T0 + HOUR],
        [list[2]!.id, T0 + 2 * HOUR],
      ]);
    });

    it('resolves an empty list with no results and records nothing', async () => {
      const h = await started();
      const before = await eventCount(h);
      await expect(h.scheduler.scheduleOccurrences([])).resolves.toEqual([]);
      expect(await eventCount(h)).toBe(before);
    });

    it('lets the calendar see earlier items of the list as taken', async () => {
      const h = await started({}, ['a', 'b', 'c', 'd']);
      const list = [
        occurrenceAt('a', HOUR),
        occurrenceAt('b', HOUR), // the same instant as the first: taken
        occurrenceAt('b', 2 * HOUR),
        occurrenceAt('c', 3 * HOUR),
        occurrenceAt('d', 4 * HOUR), // a fourth on Monday: over maxPerDay
        occurrenceAt('d', DAY + HOUR), // Tuesday has room
      ];
      await expect(h.scheduler.scheduleOccurrences(list)).resolves.toEqual([
        'armed',
        'skipped',
        'armed',
        'armed',
        'skipped',
        'armed',
      ]);
      expect((await h.scheduler.getExecution(list[4]!.id))?.state).toBe('skipped');
      expect(h.scheduler.armedCount).toBe(4);
    });

    it('decides a repeated id against its earlier item, and a cancelled one as not pending', async () => {
      const h = await started();
      const cancelled = occurrenceAt('b', 3 * HOUR);
      await h.scheduler.scheduleOccurrence(cancelled);
      await h.scheduler.cancelOccurrence(cancelled.id);
      const occ = occurrenceAt('a', HOUR);
      const before = await eventCount(h);

      await expect(h.scheduler.scheduleOccurrences([occ, occ, cancelled])).resolves.toEqual([
        'armed',
        'armed',
        'not-pending',
      ]);

      const events = await h.events();
      expect(events.length - before).toBe(1);
      expect(h.scheduler.armedCount).toBe(1);
      await h.clock.advanceAsync(4 * HOUR);
      expect(triggerCounts(await h.events()).get(occ.id)).toBe(1);
      expect(illegalLifecycles(await h.events())).toEqual([]);
    });

    it('refuses a list that gives one id two different times, recording and arming nothing', async () => {
      const h = await started();
      const occ = occurrenceAt('a', HOUR);
      const before = facts(await h.events());
      await expect(
        h.scheduler.scheduleOccurrences([occ, alias(occ, 2 * HOUR)]),
      ).rejects.toMatchObject({ code: 'planflow:invalid-occurrence', field: '[1].id' });
      expect(facts(await h.events())).toEqual(before);
      expect(h.scheduler.armedCount).toBe(0);
    });

    it('frees the place of a pending occurrence the list skips, for the items after it', async () => {
      const h = await started();
      const first = occurrenceAt('a', HOUR);
      await h.scheduler.scheduleOccurrence(first);
      // Opening at 10:00 with one occurrence a day, its 09:00 place no longer fits; skipped,
      // it frees the day's only place for another task.
      await h.scheduler.configureCalendar({
        ...OFFICE_HOURS,
        maxPerDay: 1,
        workingHours: { mon: { start: '10:00', end: '18:00' } },
      });
      const list = [first, occurrenceAt('b', 2 * HOUR)];
      await expect(h.scheduler.scheduleOccurrences(list)).resolves.toEqual(['skipped', 'armed']);
      expect((await h.scheduler.getExecution(first.id))?.state).toBe('skipped');
      expect(h.scheduler.armedCount).toBe(1);
    });

    it('triggers items due now, once, and resolves after they were claimed', async () => {
      const h = await started();
      const now = occurrenceAt('a', 0);
      const later = occurrenceAt('b', HOUR);

      await expect(h.scheduler.scheduleOccurrences([now, later, now])).resolves.toEqual([
        'armed',
        'armed',
        'not-pending',
      ]);

      expect((await h.scheduler.getExecution(now.id))?.triggered).toBe(true);
      await h.clock.settle();
      expect(h.calls.map((c) => [c.occurrenceId, c.atMs])).toEqual([[now.id, T0]]);
      expect((await h.scheduler.getExecution(now.id))?.state).toBe('done');
      expect(h.scheduler.armedCount).toBe(1);
      const events = await h.events();
      expect(triggerCounts(events).get(now.id)).toBe(1);
      // The trigger follows the whole list in the log.
      const types = events.map((e) => e.type);
      expect(types.indexOf('occurrence.triggered')).toBeGreaterThan(
        types.lastIndexOf('occurrence.scheduled'),
      );
    });
  });

  describe('all or nothing', () => {
    it('rejects an unknown task with a NotFoundError naming the index and records nothing', async () => {
      const h = await started();
      const before = await eventCount(h);
      const list = [occurrenceAt('a', HOUR), occurrenceAt('ghost', 2 * HOUR)];

      const error = await h.scheduler.scheduleOccurrences(list).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as Error).message).toContain('[1]');
      expect((error as Error).message).toContain('"ghost"');
      expect(await eventCount(h)).toBe(before);
      expect(h.scheduler.armedCount).toBe(0);
      expect(await h.scheduler.getExecution(list[0]!.id)).toBeUndefined();
    });

    it('rejects a malformed item with a ValidationError naming its index and records nothing', async () => {
      const h = await started();
      const before = await eventCount(h);
      const list = [occurrenceAt('a', HOUR), { ...occurrenceAt('b', HOUR), scheduledFor: 'soon' }];

      let caught: unknown;
      await h.scheduler.scheduleOccurrences(list).catch((e: unknown) => {
        caught = e;
      });
      rejection(
        () => {
          throw caught;
        },
        'planflow:invalid-occurrence',
        '[1].scheduledFor',
      );
      expect(await eventCount(h)).toBe(before);
      expect(h.scheduler.armedCount).toBe(0);
    });

    it('rejects what is not a list, naming the argument', async () => {
      const h = await started();
      let caught: unknown;
      await h.scheduler
        .scheduleOccurrences(occurrenceAt('a', HOUR) as unknown as Occurrence[])
        .catch((e: unknown) => {
          caught = e;
        });
      rejection(
        () => {
          throw caught;
        },
        'planflow:invalid-input',
        'occurrences',
      );
    });

    it('answers paused for every item while paused, unknown tasks included, and records nothing', async () => {
      const h = await started();
      await h.scheduler.pause();
      const before = await eventCount(h);
      const list = [occurrenceAt('a', HOUR), occurrenceAt('ghost', HOUR)];
      await expect(h.scheduler.scheduleOccurrences(list)).resolves.toEqual(['paused', 'paused']);
      expect(await eventCount(h)).toBe(before);
    });

    it('records nothing when the append fails, and leaves the calendar as the log has it', async () => {
      const clock = new TestClock(T0);
      const store = flakyStore(await stores[0]!.open(clock));
      const h = await started({ clock, store }, ['a', 'b', 'c', 'd']);
      const list = ['a', 'b', 'c'].map((id, i) => occurrenceAt(id, (i + 1) * HOUR));
      const before = await eventCount(h);

      store.failing = true;
      await expect(h.scheduler.scheduleOccurrences(list)).rejects.toThrow('disk I/O error');
      expect(await eventCount(h)).toBe(before);
      expect(h.scheduler.armedCount).toBe(0);

      // Had the failed list kept its three places, Monday would be full.
      store.failing = false;
      const others = [occurrenceAt('d', 5 * HOUR), occurrenceAt('d', 6 * HOUR)];
      await expect(h.scheduler.scheduleOccurrences(others)).resolves.toEqual(['armed', 'armed']);
      h.errors.length = 0;
    });
  });

  describe('equals scheduleOccurrence called for each item in order', () => {
    /** How a generated item is made. */
    type Item =
      | { kind: 'new'; task: number; minutes: number; pinned: boolean }
      | { kind: 'again'; pick: number }
      | { kind: 'moved'; pick: number; minutes: number };
    type World = {
      /** Occurrences scheduled one by one before the list; some then cancelled. */
      before: { task: number; minutes: number; cancel: boolean }[];
      /** A stricter calendar configured before the list, so known items may no longer fit. */
      tighten: boolean;
      items: Item[];
    };

    const TASKS = ['a', 'b', 'c'];
    // Monday and Tuesday, in and out of working hours; few distinct instants so they collide.
    const minutes = fc.constantFrom(30, 60, 60, 90, 120, 600, 660, 1_440 + 60, 1_440 + 120);
    const world: fc.Arbitrary<World> = fc.record({
      before: fc.array(fc.record({ task: fc.nat(2), minutes, cancel: fc.boolean() }), {
        maxLength: 4,
      }),
      tighten: fc.boolean(),
      items: fc.array(
        fc.oneof(
          {
            weight: 4,
            arbitrary: fc.record({
              kind: fc.constant('new' as const),
              task: fc.nat(2),
              minutes,
              pinned: fc.boolean(),
            }),
          },
          {
            weight: 2,
            arbitrary: fc.record({ kind: fc.constant('again' as const), pick: fc.nat() }),
          },
          {
            weight: 1,
            arbitrary: fc.record({ kind: fc.constant('moved' as const), pick: fc.nat(), minutes }),
          },
        ),
        { maxLength: 12 },
      ),
    });

    /** Builds the list; `again` and `moved` refer to an earlier item or a `before` occurrence. */
    function itemsOf(w: World, prior: readonly Occurrence[]): Occurrence[] {
      const list: Occurrence[] = [];
      for (const item of w.items) {
        const pool = [...prior, ...list];
        if (item.kind === 'new') {
          const when = at(item.minutes * MINUTE);
          list.push(
            occurrenceAt(
              TASKS[item.task]!,
              item.minutes * MINUTE,
              item.pinned ? { pinnedTime: when } : {},
            ),
          );
        } else if (pool.length > 0) {
          const picked = pool[item.pick % pool.length]!;
          list.push(item.kind === 'again' ? picked : alias(picked, item.minutes * MINUTE));
        }
      }
      return list;
    }

    /** Sets a world up on a fresh scheduler and store; returns the list to schedule. */
    async function prepare(kind: StoreKind, w: World) {
      const clock = new TestClock(T0);
      const store = await kind.open(clock);
      const h = setUp({ clock, store, calendar: OFFICE_HOURS });
      for (const id of TASKS) await h.scheduler.defineTask(manualTask(id));
      await h.scheduler.start();
      const prior: Occurrence[] = [];
      for (const b of w.before) {
        const occ = occurrenceAt(TASKS[b.task]!, b.minutes * MINUTE);
        await h.scheduler.scheduleOccurrence(occ);
        if (b.cancel && (await h.scheduler.getExecution(occ.id))?.state === 'scheduled') {
          await h.scheduler.cancelOccurrence(occ.id);
        }
        prior.push(occ);
      }
      if (w.tighten) await h.scheduler.configureCalendar({ ...OFFICE_HOURS, maxPerDay: 1 });
      return { h, prior, list: itemsOf(w, prior) };
    }

    /** True when an item reuses the id of a prior occurrence or an earlier item with other content. */
    function changesAnId(prior: readonly Occurrence[], list: readonly Occurrence[]): boolean {
      const seen = new Map<string, string>();
      for (const occ of [...prior, ...list]) {
        // The id leaves out a pinned time, so a pinned and an unpinned item can share it.
        const content = JSON.stringify([occ.scheduledFor, occ.pinnedTime ?? null]);
        const known = seen.get(occ.id);
        if (known !== undefined && known !== content) return true;
        seen.set(occ.id, content);
      }
      return false;
    }

    /** What a scheduler shows afterwards: log, model, timers, and what fired over two days. */
    async function outcome(h: Harness, results: readonly ScheduleResult[]) {
      const scheduler: SmartScheduler = h.scheduler;
      const armed = scheduler.armedCount;
      const executions = (await scheduler.listExecutions()).items.map((e) => [
        e.occurrenceId,
        e.state,
      ]);
      await h.clock.advanceAsync(2 * DAY);
      return {
        results,
        armed,
        executions,
        log: facts(await h.events()),
        calls: h.calls.map((c) => [c.occurrenceId, c.atMs]),
        errors: h.errors,
      };
    }

    for (const kind of stores) {
      it(`on the ${kind.name} store: same results, log, model and firings`, async () => {
        await fc.assert(
          fc.asyncProperty(world, async (w) => {
            const batch0 = await prepare(kind, w);
            if (changesAnId(batch0.prior, batch0.list)) {
              // A moved item reuses a recorded id with another time: the whole list is
              // refused, one by one or at once, and nothing changes.
              const before = facts(await batch0.h.events());
              const armed = batch0.h.scheduler.armedCount;
              await expect(
                batch0.h.scheduler.scheduleOccurrences(batch0.list),
              ).rejects.toMatchObject({ code: 'planflow:invalid-occurrence' });
              expect(facts(await batch0.h.events())).toEqual(before);
              expect(batch0.h.scheduler.armedCount).toBe(armed);
              await batch0.h.scheduler.stop();
              return;
            }
            await batch0.h.scheduler.stop();
            const one = await prepare(kind, w);
            const results: ScheduleResult[] = [];
            for (const occ of one.list) results.push(await one.h.scheduler.scheduleOccurrence(occ));
            const expected = await outcome(one.h, results);
            await one.h.scheduler.stop();

            const batch = await prepare(kind, w);
            const actual = await outcome(
              batch.h,
              await batch.h.scheduler.scheduleOccurrences(batch.list),
            );
            await batch.h.scheduler.stop();

            expect(actual).toEqual(expected);
            expect(ofType(await batch.h.events(), 'occurrence.triggered').length).toBe(
              expected.calls.length,
            );
          }),
          { numRuns: PROPERTY_RUNS[kind.name] },
        );
      });
    }
  });
});

describe('scheduleOccurrences: failures and late items', () => {
  it('leaves the calendar as the log has it when deciding a list throws', async () => {
    // A planner of the user's that throws on the third item: the first two places the batch
    // took while deciding must not stay taken, since nothing was recorded.
    const inner = new DefaultCalendarPlanner();
    const boom = Date.parse(at(3 * HOUR));
    const planner = {
      isSlotAvailable: (when: Date, ctx: PlanningContext, excludeId?: string) => {
        if (when.getTime() === boom) throw new Error('planner failed');
        return inner.isSlotAvailable(when, ctx, excludeId);
      },
      isPinnedTimeValid: (when: Date, ctx: PlanningContext, excludeId?: string) =>
        inner.isPinnedTimeValid(when, ctx, excludeId),
      nextAvailableSlot: (...args: Parameters<DefaultCalendarPlanner['nextAvailableSlot']>) =>
        inner.nextAvailableSlot(...args),
    };
    const h = await started({ calendarPlanner: planner }, ['a', 'b']);
    const list = [1, 2, 3].map((n) => occurrenceAt('a', n * HOUR));
    await expect(h.scheduler.scheduleOccurrences(list)).rejects.toThrow('planner failed');

    // Nothing was recorded, so 01:00 and 02:00 are free and Monday has room for three.
    const again = [1, 2, 4].map((n) => occurrenceAt('b', n * HOUR));
    await expect(h.scheduler.scheduleOccurrences(again)).resolves.toEqual([
      'armed',
      'armed',
      'armed',
    ]);
  });

  it('decides the items after one late beyond grace as one call per item would', async () => {
    // One by one, the late item's claim records its miss and plans its retry (at 11:00)
    // before the next item is decided, so an item for 11:00 finds the place taken.
    const run = async (batch: boolean) => {
      const h = setUp({ calendar: OFFICE_HOURS });
      await h.scheduler.defineTask(manualTask('a', { retry: { maxRetries: 1, delayMs: HOUR } }));
      await h.scheduler.defineTask(manualTask('b'));
      await h.clock.advanceAsync(2 * HOUR);
      await h.scheduler.start();
      const list = [occurrenceAt('a', HOUR), occurrenceAt('b', 3 * HOUR)];
      const results = batch
        ? await h.scheduler.scheduleOccurrences(list)
        : [
            await h.scheduler.scheduleOccurrence(list[0]!),
            await h.scheduler.scheduleOccurrence(list[1]!),
          ];
      await h.clock.settle();
      const executions = (await h.scheduler.listExecutions()).items
        .map((e) => [e.scheduledFor, e.state] as const)
        .sort();
      return { results, executions };
    };
    const expected = await run(false);
    await expect(run(true)).resolves.toEqual(expected);
  });
});
