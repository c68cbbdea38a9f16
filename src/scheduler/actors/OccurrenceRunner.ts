import { type Actor, type AnyActorRef, createActor } from 'xstate';
import {
  type OccurrenceEvent,
  type occurrenceMachine,
  outcomeOf,
} from '../../../machines/occurrence.js';
import type { Occurrence } from '../../domain/types.js';
import { LiveOccurrence, type RunnerOwner } from './LiveOccurrence.js';

/** The occurrence machine with its effects bound to one scheduler (`withEffects`). */
export type BoundOccurrenceMachine = typeof occurrenceMachine;

/**
 * One occurrence as a live XState actor, a child of the supervisor in its actor system, so
 * the inspector draws it under the supervisor and sees every event and snapshot. Used while
 * an `inspect` observer is attached; otherwise the same machine is stepped by table
 * ({@link SteppedOccurrence}).
 */
export class OccurrenceRunner extends LiveOccurrence {
  readonly #actor: Actor<typeof occurrenceMachine>;

  constructor(
    occurrence: Occurrence,
    machine: BoundOccurrenceMachine,
    options: Readonly<{ parent: AnyActorRef; id: string; graceMs: number; dueAtMs?: number }>,
    owner: RunnerOwner,
  ) {
    super(occurrence, owner);
    const { parent, id, graceMs, dueAtMs } = options;
    this.#actor = createActor(machine, {
      parent,
      id,
      input: { occurrence, graceMs, ...(dueAtMs === undefined ? {} : { dueAtMs }) },
    });
    this.#actor.subscribe({
      next: (snapshot) => this.observe(snapshot.value, snapshot.context.claim, outcomeOf(snapshot)),
      error: () => this.failed(),
    });
  }

  start(): void {
    this.#actor.start();
  }

  protected send(event: OccurrenceEvent): void {
    this.#actor.send(event);
  }
}
