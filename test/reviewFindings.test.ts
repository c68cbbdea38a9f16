import { describe, expect, it } from 'vitest';
import type { Occurrence } from '../src/domain/types.js';
import { DefaultCalendarPlanner } from '../src/planning/DefaultCalendarPlanner.js';
import type { PlanningContext } from '../src/planning/ports.js';
import {
  at,
  type HarnessOptions,
  HOUR,
  manualTask,
  occurrenceAt,
  useHarnesses,
} from './helpers/harness.js';

const { setUp } = useHarnesses();

/** Monday to Friday, 08:00–18:00 UTC, at most 3 a day, one occurrence per instant. */
const OFFICE = {
  timeZone: 'UTC',
  workingHours: Object.fromEntries(
    ['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, { start: '08:00', end: '18:00' }]),
  ),
  maxPerDay: 3,
};

async function started(options: HarnessOptions, tasks: readonly string[]) {
  const h = setUp({ calendar: OFFICE, ...options });
  for (const id of tasks) await h.scheduler.defineTask(manualTask(id));
  await h.scheduler.start();
  return h;
}

describe('review findings', () => {
  it('fires a far-future occurrence re-armed at another time as given, as a near one does', async () => {
    // scheduleOccurrence accepts a known pending id at another time and arms it there. The
    // far-future promotion must give the actor that occurrence, not the recorded copy: with
    // the recorded time, the claim at the new time counts as hours late and records a miss.
    const h = await started({}, ['a']);
    const occ = occurrenceAt('a', 2 * HOUR);
    await h.scheduler.scheduleOccurrence(occ);
    const moved: Occurrence = Object.freeze({ ...occ, scheduledFor: at(4 * HOUR) });
    await expect(h.scheduler.scheduleOccurrence(moved)).resolves.toBe('armed');

    await h.clock.advanceAsync(5 * HOUR);

    expect(h.scheduler.getExecution(occ.id)?.state).toBe('done');
    expect(h.calls.map((c) => [c.occurrenceId, c.atMs])).toEqual([
      [occ.id, Date.parse(at(4 * HOUR))],
    ]);
  });

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
      const h = setUp({ calendar: OFFICE });
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
      const executions = h.scheduler
        .listExecutions()
        .map((e) => [e.scheduledFor, e.state] as const)
        .sort();
      return { results, executions };
    };
    const expected = await run(false);
    await expect(run(true)).resolves.toEqual(expected);
  });
});
