import { type Actor, createActor } from 'xstate';
import {
  type ClaimResult,
  type OccurrenceOutcome,
  type occurrenceMachine,
  outcomeOf,
  withEffects,
} from '../../machines/occurrence.js';
import type { Occurrence } from '../domain/types.js';
import type { Clock } from './Clock.js';
import type { HandlerOutcome } from './handlers.js';
import type { InspectOption } from './schedulerOptions.js';

export type { ClaimResult };

/** What an occurrence actor's effects are wired to: the scheduler that owns it. */
export interface OccurrenceHost {
  readonly clock: Clock;
  readonly inspect: InspectOption | undefined;
  /** Under the command queue: may this occurrence trigger? Records the trigger if so. */
  claim(occurrence: Occurrence, manual: boolean): Promise<ClaimResult>;
  /** Runs the handler; never rejects. */
  run(occurrence: Occurrence, claim: ClaimResult & { kind: 'granted' }): Promise<HandlerOutcome>;
  /** Under the command queue: records the outcome and its follow-up; returns the final state. */
  record(
    occurrence: Occurrence,
    outcome: HandlerOutcome,
  ): Promise<'done' | 'failed' | 'retrying' | 'recurred'>;
  /** Under the command queue: records a miss and its recovery; returns the final state. */
  miss(occurrence: Occurrence, lateByMs: number): Promise<'missed' | 'recovered' | 'retrying'>;
  /** The actor reached a final state. */
  finished(occurrence: Occurrence, runner: OccurrenceRunner, outcome: OccurrenceOutcome): void;
}

/** The occurrence machine with its effects bound to one scheduler. */
export type BoundOccurrenceMachine = typeof occurrenceMachine;

/**
 * Binds the machine's four effects to a scheduler's steps, once per scheduler: each effect
 * finds its occurrence in its input. (Providing per occurrence would build a new machine with
 * all its state nodes for every actor and keep XState's transition caches cold.)
 */
export function bindOccurrenceMachine(host: OccurrenceHost): BoundOccurrenceMachine {
  return withEffects({
    claim: ({ occurrence, manual }) => host.claim(occurrence, manual),
    run: ({ occurrence, idempotencyKey }) =>
      host.run(occurrence, { kind: 'granted', idempotencyKey }),
    record: ({ occurrence, outcome }) => host.record(occurrence, outcome),
    recordMiss: ({ occurrence, lateByMs }) => host.miss(occurrence, lateByMs),
  });
}

/**
 * One occurrence's live actor, with the machine's effects bound to the scheduler. The runner
 * exists from the horizon before the occurrence's time until it reaches a final state.
 */
export class OccurrenceRunner {
  readonly occurrence: Occurrence;
  readonly #actor: Actor<typeof occurrenceMachine>;
  #claimed: Promise<ClaimResult | undefined>;
  #resolveClaim!: (claim: ClaimResult | undefined) => void;

  constructor(
    occurrence: Occurrence,
    machine: BoundOccurrenceMachine,
    host: OccurrenceHost,
    graceMs: number,
    dueAtMs?: number,
  ) {
    this.occurrence = occurrence;
    this.#claimed = new Promise((resolve) => {
      this.#resolveClaim = resolve;
    });
    this.#actor = createActor(machine, {
      clock: host.clock,
      ...(host.inspect === undefined ? {} : { inspect: host.inspect }),
      input: { occurrence, graceMs, ...(dueAtMs === undefined ? {} : { dueAtMs }) },
    });
    this.#actor.subscribe({
      next: (snapshot) => {
        // The claim's answer is in context from the transition that received it.
        const claim = snapshot.context.claim;
        if (claim !== undefined) this.#resolveClaim(claim);
        const outcome = outcomeOf(snapshot);
        if (outcome === undefined) return;
        this.#resolveClaim(undefined);
        host.finished(occurrence, this, outcome);
      },
      error: () => {
        this.#resolveClaim(undefined);
        host.finished(occurrence, this, 'lost');
      },
    });
  }

  /** Settles with the claim once the actor asked to trigger (undefined if it never did). */
  get claimed(): Promise<ClaimResult | undefined> {
    return this.#claimed;
  }

  /** True while the occurrence waits for its time (armed or paused), i.e. can be disarmed. */
  get isWaiting(): boolean {
    return this.#actor.getSnapshot().matches('scheduled');
  }

  /** True while its timer is armed (waiting and not paused). */
  get isArmed(): boolean {
    return this.#actor.getSnapshot().matches({ scheduled: 'armed' });
  }

  start(): void {
    this.#actor.start();
  }

  triggerNow(manual: boolean): void {
    this.#actor.send({ type: 'TRIGGER_NOW', manual });
  }

  pause(): void {
    this.#actor.send({ type: 'PAUSE' });
  }

  /** Stops the actor; only ever done while it waits, or when the scheduler stops. */
  stop(): void {
    this.#resolveClaim(undefined);
    this.#actor.stop();
  }
}
