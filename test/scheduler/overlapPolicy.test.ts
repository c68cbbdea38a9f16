import { describe, expect, it } from 'vitest';
import type { OverlapPolicy } from '../../src/domain/types.js';
import { at, type Harness, SECOND, T0, useHarnesses } from '../helpers/harness.js';
import { ofType } from '../helpers/logQueries.js';
import { useStores } from '../helpers/stores.js';

// The example: an every-1 s task whose handler takes 2.5 s. Before overlap policies it
// started at 0, 3 and 6 s and the slots in between left nothing in the log. Each policy decides
// what becomes of a slot that comes due while the previous run still runs, and every slot not
// run is a recorded fact.

const stores = useStores();
const { setUp } = useHarnesses();

/** A handler that takes 2.5 s (on the test clock), or until its signal aborts. */
function slowHandler(h: () => Harness) {
  return (_o: unknown, ctx: { signal: AbortSignal }) =>
    new Promise<void>((resolve, reject) => {
      const timer = h().clock.setTimeout(resolve, 2500);
      ctx.signal.addEventListener('abort', () => {
        h().clock.clearTimeout(timer);
        reject(ctx.signal.reason);
      });
    });
}

describe.each(stores)('overlap policies on the $name store', (kind) => {
  async function run(overlap: OverlapPolicy | undefined, forMs: number) {
    let h: Harness | undefined;
    const starts: number[] = [];
    const slow = slowHandler(() => h!);
    h = setUp({
      store: await kind.open({ now: () => h?.clock.now() ?? T0 }),
      handlers: {
        slow: (o, ctx) => {
          starts.push(h!.clock.now() - T0);
          return slow(o, ctx);
        },
      },
    });
    await h.scheduler.defineTask({
      id: 'tick',
      title: 'tick',
      handler: 'slow',
      calendar: 'ignore',
      startAt: at(0),
      recurrence: { everyMs: SECOND },
      ...(overlap === undefined ? {} : { overlap }),
    });
    await h.scheduler.start();
    await h.clock.advanceAsync(forMs);
    // Stopping waits for the runs in flight on the test clock, then aborts them.
    const stopped = h.scheduler.stop();
    await h.clock.advanceAsync(15 * SECOND);
    await stopped;
    const events = await h.events();
    const skipped = ofType(events, 'task.slotsSkipped').flatMap((e) =>
      e.data.slots.map((s) => Date.parse(s) - T0),
    );
    return { h, starts, skipped, events };
  }

  it('skip (the default) runs at 0, 3 and 6 s and records each slot it skipped', async () => {
    const { h, starts, skipped, events } = await run(undefined, 8 * SECOND);
    expect(starts).toEqual([0, 3000, 6000]);
    // The run at 6 s ends at 8.5 s, as the test stops the scheduler: slots 7 and 8 went by.
    expect(skipped).toEqual([1000, 2000, 4000, 5000, 7000, 8000]);
    expect(ofType(events, 'task.slotsSkipped')[0]!.data).toMatchObject({
      taskId: 'tick',
      reason: 'overlap',
      policy: 'skip',
    });
    const history = await h.scheduler.history({ taskId: 'tick' });
    expect(history.items.filter((e) => e.type === 'task.slotsSkipped')).toHaveLength(3);
    expect(h.errors).toEqual([]);
  });

  it('bufferOne starts one run for the latest slot as the running one ends', async () => {
    const { starts, skipped } = await run('bufferOne', 8 * SECOND);
    expect(starts).toEqual([0, 2500, 5000, 7500]);
    // At 2.5 s slots 1 and 2 had come due: 2 runs, 1 is skipped; at 5 s slots 3, 4 and 5;
    // at 7.5 s 6 and 7; the run of 7 ends at 10 s, after the test stopped it.
    expect(skipped).toEqual([1000, 3000, 4000, 6000, 8000, 9000]);
  });

  it('bufferAll runs every slot, one after another', async () => {
    const { h, starts, skipped } = await run('bufferAll', 8 * SECOND);
    expect(starts).toEqual([0, 2500, 5000, 7500]);
    expect(skipped).toEqual([]);
    const slots = h.occurrences.map((o) =>
      o.slot === undefined ? undefined : Date.parse(o.slot) - T0,
    );
    // The run of slot 3 ends at 10 s, after the test stopped it: slot 4 is planned, not run.
    expect(slots).toEqual([undefined, 1000, 2000, 3000, 4000]);
  });

  it('allowAll starts each slot at its time beside the running ones', async () => {
    const { starts, skipped } = await run('allowAll', 5 * SECOND);
    expect(starts).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
    expect(skipped).toEqual([]);
  });

  it('cancelOther aborts the running handler and starts the new slot', async () => {
    const { h, starts, skipped, events } = await run('cancelOther', 3 * SECOND);
    expect(starts).toEqual([0, 1000, 2000, 3000]);
    expect(skipped).toEqual([]);
    const failed = ofType(events, 'occurrence.failed');
    expect(failed).toHaveLength(3);
    expect(failed[0]!.data.error).toMatchObject({ name: 'OverlapCancelledError' });
    expect(failed[0]!.data.error.message).toContain('cancelOther');
    // Cancelled runs are not retried, and each started run is a slot of its own.
    expect(ofType(events, 'occurrence.retried')).toEqual([]);
    expect(h.errors).toEqual([]);
  });
});
