import { describe, expect, it } from 'vitest';
import type { Occurrence } from '../../src/domain/types.js';
import {
  at,
  HOUR,
  manualTask,
  OFFICE_HOURS,
  occurrenceAt,
  useHarnesses,
} from '../helpers/harness.js';

const { setUp } = useHarnesses();

describe('SmartScheduler: occurrences beyond the horizon', () => {
  it('refuses a far-future occurrence moved under its id, and fires the recorded one on time', async () => {
    // A known id at another time used to be re-armed there while the log kept the old time
    // (finding 8). It is refused now; an identical re-schedule of a far-future occurrence
    // still re-arms it, and the promotion to a live actor fires it at its recorded time.
    const h = setUp({ calendar: OFFICE_HOURS });
    await h.scheduler.defineTask(manualTask('a'));
    await h.scheduler.start();
    const occ = occurrenceAt('a', 2 * HOUR);
    await h.scheduler.scheduleOccurrence(occ);
    const moved: Occurrence = Object.freeze({ ...occ, scheduledFor: at(4 * HOUR) });
    await expect(h.scheduler.scheduleOccurrence(moved)).rejects.toMatchObject({
      code: 'planflow:invalid-occurrence',
    });
    await expect(h.scheduler.scheduleOccurrence(occ)).resolves.toBe('armed');

    await h.clock.advanceAsync(5 * HOUR);

    expect((await h.scheduler.getExecution(occ.id))?.state).toBe('done');
    expect(h.calls.map((c) => [c.occurrenceId, c.atMs])).toEqual([
      [occ.id, Date.parse(at(2 * HOUR))],
    ]);
  });
});
