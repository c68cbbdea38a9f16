import { describe, expect, it } from 'vitest';
import { createActor, setup } from 'xstate';
import { indexScheduledEvents } from '../../src/scheduler/actors/indexScheduledEvents.js';
import { TestClock } from '../../src/testing/TestClock.js';
import { TimerQueue } from '../../src/time/TimerQueue.js';

/** A child that waits `ms` in `waiting`, then ends `done`; `STOP` ends it `stopped` at once. */
const waiter = setup({
  types: { input: {} as { ms: number }, context: {} as { ms: number } },
  delays: { wait: ({ context }) => context.ms },
}).createMachine({
  context: ({ input }) => ({ ms: input.ms }),
  initial: 'waiting',
  states: {
    waiting: { after: { wait: 'done' }, on: { STOP: 'stopped' } },
    done: { type: 'final' },
    stopped: { type: 'final' },
  },
});

/** A parent with `n` waiting children on a test clock; counts walks over pending delays. */
function tree(indexed: boolean, n: number) {
  const testClock = new TestClock(0);
  const clock = new TimerQueue({ clock: testClock });
  const parent = createActor(setup({}).createMachine({}), { clock });
  if (indexed) indexScheduledEvents(parent.system);
  parent.start();
  const snapshot = (parent.system as unknown as { _snapshot: { _scheduledEvents: object } })
    ._snapshot;
  const walks = { count: 0 };
  snapshot._scheduledEvents = new Proxy(snapshot._scheduledEvents, {
    ownKeys: (target) => {
      walks.count++;
      return Reflect.ownKeys(target);
    },
  });
  const children = Array.from({ length: n }, (_, i) =>
    createActor(waiter, { parent, input: { ms: 1_000 * (i + 1) } }).start(),
  );
  return { testClock, clock, children, walks };
}

describe('indexScheduledEvents', () => {
  it('stops a child without walking every delay pending in the system', () => {
    const plain = tree(false, 100);
    const indexed = tree(true, 100);
    for (const { children } of [plain, indexed]) children[0]!.send({ type: 'STOP' });
    expect(plain.walks.count).toBeGreaterThan(0); // XState's own cancelAll walks them all
    expect(indexed.walks.count).toBe(0);
  });

  it("cancels only the stopping actor's delays; every other child still fires at its time", async () => {
    const { testClock, clock, children } = tree(true, 3);
    children[0]!.send({ type: 'STOP' });
    expect(children[0]!.getSnapshot().value).toBe('stopped');
    expect(clock.size).toBe(2);
    await testClock.advanceAsync(2_000);
    expect(children[1]!.getSnapshot().value).toBe('done');
    expect(children[2]!.getSnapshot().value).toBe('waiting');
    await testClock.advanceAsync(1_000);
    expect(children[2]!.getSnapshot().value).toBe('done');
    expect(clock.size).toBe(0);
  });
});
