import { describe, expect, it } from 'vitest';
import type { Occurrence } from '../src/domain/types.js';
import {
  at,
  HOUR,
  manualTask,
  OFFICE_HOURS,
  occurrenceAt,
  useHarnesses,
} from './helpers/harness.js';

const { setUp } = useHarnesses();

describe('SmartScheduler: occurrences beyond the horizon', () => {
  it('fires a far-future occurrence re-armed at another time as given, as a near one does', async () => {
    // scheduleOccurrence accepts a known pending id at another time and arms it there. The
    // far-future promotion must give the actor that occurrence, not the recorded copy: with
    // the recorded time, the claim at the new time counts as hours late and records a miss.
    const h = setUp({ calendar: OFFICE_HOURS });
    await h.scheduler.defineTask(manualTask('a'));
    await h.scheduler.start();
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
});
