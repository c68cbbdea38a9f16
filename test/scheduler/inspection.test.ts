import { describe, expect, it, vi } from 'vitest';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { SupervisorContext } from '../../machines/supervisor.js';
import { HOUR, MINUTE, T0, useHarnesses } from '../helpers/harness.js';

const { setUp } = useHarnesses();

/** A scheduler watched by `inspect` whose `block` handler runs until `release()` is called. */
function blockingSetUp(inspect: (event: InspectionEvent) => void) {
  let resolveRun = () => {};
  const h = setUp({
    inspect,
    handlers: {
      block: () =>
        new Promise<void>((resolve) => {
          resolveRun = resolve;
        }),
    },
  });
  return { h, release: () => resolveRun() };
}

/** What an inspect observer saw: actors by session id, and the supervisor's last context. */
function observer() {
  const actors = new Map<string, AnyActorRef>();
  const seen = {
    actors,
    events: [] as { to: string; type: string }[],
    supervisor: undefined as SupervisorContext | undefined,
    inspect: (event: InspectionEvent) => {
      const ref = event.actorRef as AnyActorRef;
      const id = (ref as { logic?: { id?: string } }).logic?.id;
      if (event.type === '@xstate.actor') actors.set(ref.sessionId, ref);
      if (event.type === '@xstate.event' && id !== undefined) {
        seen.events.push({ to: id, type: event.event.type });
      }
      if (event.type === '@xstate.snapshot' && id === 'supervisor') {
        seen.supervisor = (event.snapshot as unknown as { context: SupervisorContext }).context;
      }
    },
  };
  return seen;
}

const machineId = (ref: AnyActorRef) => (ref as { logic?: { id?: string } }).logic?.id;
const parentOf = (ref: AnyActorRef) => (ref as { _parent?: AnyActorRef })._parent;

describe('SmartScheduler in the inspector', () => {
  it('reuses occurrence actor ids, so the supervisor sees a bounded set of done-event types', async () => {
    // XState memoizes per event type on the parent's state nodes, and a child's done event is
    // `xstate.done.actor.<id>`: fresh ids made that memo grow with every occurrence ever run.
    const seen = observer();
    const h = setUp({ inspect: seen.inspect });
    await h.scheduler.defineTask({
      id: 'tick',
      title: 'Tick',
      handler: 'record',
      recurrence: { everyMs: MINUTE, anchor: new Date(T0 + MINUTE).toISOString() },
    });
    await h.scheduler.start();
    await h.clock.advanceAsync(200 * MINUTE);
    expect(h.calls).toHaveLength(200);
    const occurrenceActors = [...seen.actors.values()].filter((a) => machineId(a) === 'occurrence');
    expect(occurrenceActors.length).toBeGreaterThanOrEqual(200);
    const doneTypes = new Set(
      seen.events
        .filter((e) => e.to === 'supervisor' && e.type.startsWith('xstate.done.actor.'))
        .map((e) => e.type),
    );
    expect(doneTypes.size).toBeGreaterThan(0);
    expect(doneTypes.size).toBeLessThanOrEqual(3);
  });

  it('shows every occurrence actor as a child of the supervisor, with live counts', async () => {
    const seen = observer();
    const { h, release } = blockingSetUp(seen.inspect);
    // Three armed: two within the horizon (live actors), one beyond it (a timer entry).
    for (const [id, ms] of [
      ['soon', 30_000],
      ['sooner', 40_000],
      ['later', 2 * HOUR],
    ] as const) {
      await h.scheduler.defineTask({ id, title: id, startAt: new Date(T0 + ms).toISOString() });
    }
    await h.scheduler.defineTask({ id: 'busy', title: 'Busy', handler: 'block' });
    await h.scheduler.start();
    await h.scheduler.triggerNow({ taskId: 'busy' });
    await h.clock.advanceAsync(0);

    const supervisors = [...seen.actors.values()].filter((a) => machineId(a) === 'supervisor');
    const occurrences = [...seen.actors.values()].filter((a) => machineId(a) === 'occurrence');
    expect(supervisors).toHaveLength(1);
    expect(occurrences).toHaveLength(3); // soon, sooner and the manual run of busy
    for (const actor of occurrences) expect(parentOf(actor)).toBe(supervisors[0]);
    expect(parentOf(supervisors[0]!)).toBeUndefined();
    expect(seen.supervisor).toMatchObject({ pending: 3, active: 1, finished: 0 });

    release();
    await h.clock.advanceAsync(MINUTE);
    // 'soon' and 'sooner' ran (no handler), 'busy' finished: three done events reached it.
    expect(seen.supervisor).toEqual({ pending: 1, active: 0, finished: 3 });
    const done = seen.events.filter(
      (e) => e.to === 'supervisor' && e.type.startsWith('xstate.done.actor.'),
    );
    expect(done).toHaveLength(3);
    expect(h.scheduler.armedCount).toBe(1);
  });

  it('pauses, resumes and cancels the same live actors with the diagram events', async () => {
    const seen = observer();
    const h = setUp({ inspect: seen.inspect });
    await h.scheduler.defineTask({
      id: 'a',
      title: 'A',
      startAt: new Date(T0 + 30_000).toISOString(),
    });
    await h.scheduler.start();
    await h.scheduler.pause();
    await h.scheduler.start();
    const [occurrence] = (await h.scheduler.listOccurrences({ taskId: 'a' })).items;
    await h.scheduler.cancelOccurrence(occurrence!.id);
    await h.clock.advanceAsync(0);

    const toOccurrence = seen.events.filter((e) => e.to === 'occurrence').map((e) => e.type);
    expect(toOccurrence).toEqual(['xstate.init', 'PAUSE', 'RESUME', 'CANCEL']);
    expect([...seen.actors.values()].filter((a) => machineId(a) === 'occurrence')).toHaveLength(1);
    expect((await h.scheduler.getExecution(occurrence!.id))?.state).toBe('cancelled');
  });

  it('stops with live occurrence actors and a draining run, every done event reaching a live supervisor', async () => {
    // XState warns on the console when an event reaches an actor that has ended: a
    // supervisor final at STOP made every occurrence finishing during the stop do that.
    const warnings: unknown[][] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation((...args) => {
      warnings.push(args);
    });
    try {
      const seen = observer();
      const { h, release } = blockingSetUp(seen.inspect);
      // One armed within the horizon (a live actor released by the stop), one running.
      await h.scheduler.defineTask({
        id: 'soon',
        title: 'Soon',
        startAt: new Date(T0 + 30_000).toISOString(),
      });
      await h.scheduler.defineTask({ id: 'busy', title: 'Busy', handler: 'block' });
      await h.scheduler.start();
      await h.scheduler.triggerNow({ taskId: 'busy' });
      await h.clock.advanceAsync(0);
      const stopping = h.scheduler.stop();
      await h.clock.advanceAsync(0);
      release();
      await stopping;
      expect(warnings).toEqual([]);
      const done = seen.events.filter(
        (e) => e.to === 'supervisor' && e.type.startsWith('xstate.done.actor.'),
      );
      expect(done).toHaveLength(2);
      expect(seen.supervisor?.finished).toBe(2);
    } finally {
      warn.mockRestore();
    }
  });
});
