import type { AnyActorRef } from 'xstate';

/** The actor system every actor of a tree shares. */
type ActorSystemOf = AnyActorRef['system'];

/**
 * Makes `cancelAll` of an XState actor system cost what the stopping actor has scheduled,
 * not what the whole system has.
 *
 * Every actor of a system shares its scheduler, and XState's `cancelAll(actor)` — run each
 * time an actor stops, e.g. on reaching a final state — walks every delayed event pending in
 * the system to find that actor's. With occurrence actors as children of the supervisor,
 * thousands wait on `after` delays in one system, so each one finishing cost time in
 * proportion to all the others. Measured with 10 000 armed occurrence actors triggered one
 * after another (bench-style, on a loaded machine): 895–1 689 µs each under one parent,
 * 134–144 µs as separate roots, 164 µs under one parent with this index. It keeps the ids
 * each actor scheduled, and
 * `cancelAll` cancels just those through the system's own `cancel`; scheduling and firing
 * stay XState's. An id whose event already fired is cancelled again harmlessly (XState's
 * `cancel` ignores an unknown id).
 */
export function indexScheduledEvents(system: ActorSystemOf): void {
  const { scheduler } = system;
  const schedule = scheduler.schedule.bind(scheduler);
  const cancel = scheduler.cancel.bind(scheduler);
  const bySource = new Map<AnyActorRef, Set<string>>();
  let counter = 0;
  system.scheduler = {
    schedule: (source, target, event, delay, id) => {
      const eventId = id ?? `pf:${++counter}`;
      let ids = bySource.get(source);
      if (ids === undefined) {
        ids = new Set();
        bySource.set(source, ids);
      }
      ids.add(eventId);
      schedule(source, target, event, delay, eventId);
    },
    cancel: (source, id) => {
      bySource.get(source)?.delete(id);
      cancel(source, id);
    },
    cancelAll: (actorRef) => {
      const ids = bySource.get(actorRef);
      if (ids === undefined) return;
      bySource.delete(actorRef);
      for (const id of ids) cancel(actorRef, id);
    },
  };
}
