import { type Actor, type AnyActorRef, createActor } from 'xstate';
import {
  type ClaimResult,
  type OccurrenceOutcome,
  type occurrenceMachine,
  outcomeOf,
} from '../../../machines/occurrence.js';
import type { Occurrence } from '../../domain/types.js';

/** Where a live occurrence actor stands, as its owner counts it. */
export type RunnerPhase = 'armed' | 'paused' | 'claiming' | 'running' | 'recording' | 'final';

/** What a runner tells its owner. */
export type RunnerOwner = Readonly<{
  /** The actor moved from one phase to another. */
  moved(runner: OccurrenceRunner, from: RunnerPhase, to: RunnerPhase): void;
  /** The actor reached a final state (also reported as a move to `final`). */
  finished(runner: OccurrenceRunner, outcome: OccurrenceOutcome): void;
}>;

/** The occurrence machine with its effects bound to one scheduler (`withEffects`). */
export type BoundOccurrenceMachine = typeof occurrenceMachine;

/**
 * One occurrence's live actor, a child of the supervisor in its actor system. It exists from
 * the horizon before the occurrence's time until it reaches a final state; the runtime talks
 * to it only through the machine's events (`PAUSE`, `RESUME`, `CANCEL`, `RELEASE`, `MISSED`,
 * `TRIGGER_NOW`), so every path it takes is a path of the diagram.
 */
export class OccurrenceRunner {
  readonly occurrence: Occurrence;
  readonly #actor: Actor<typeof occurrenceMachine>;
  readonly #claimed: Promise<ClaimResult | undefined>;
  #resolveClaim: (claim: ClaimResult | undefined) => void = () => {};
  #phase: RunnerPhase = 'armed';

  constructor(
    occurrence: Occurrence,
    machine: BoundOccurrenceMachine,
    options: Readonly<{ parent: AnyActorRef; id: string; graceMs: number; dueAtMs?: number }>,
    owner: RunnerOwner,
  ) {
    this.occurrence = occurrence;
    this.#claimed = new Promise((resolve) => {
      this.#resolveClaim = resolve;
    });
    const { parent, id, graceMs, dueAtMs } = options;
    this.#actor = createActor(machine, {
      parent,
      id,
      input: { occurrence, graceMs, ...(dueAtMs === undefined ? {} : { dueAtMs }) },
    });
    this.#actor.subscribe({
      next: (snapshot) => {
        // The claim's answer is in context from the transition that received it.
        const claim = snapshot.context.claim;
        if (claim !== undefined) this.#resolveClaim(claim);
        const outcome = outcomeOf(snapshot);
        this.#moveTo(outcome !== undefined ? 'final' : phaseOf(snapshot.value), owner);
        if (outcome === undefined) return;
        this.#resolveClaim(undefined);
        owner.finished(this, outcome);
      },
      error: () => {
        this.#resolveClaim(undefined);
        this.#moveTo('final', owner);
        owner.finished(this, 'lost');
      },
    });
  }

  #moveTo(phase: RunnerPhase, owner: RunnerOwner): void {
    const from = this.#phase;
    if (from === phase) return;
    this.#phase = phase;
    owner.moved(this, from, phase);
  }

  /** Settles with the claim once the actor asked to trigger (undefined if it never did). */
  get claimed(): Promise<ClaimResult | undefined> {
    return this.#claimed;
  }

  get phase(): RunnerPhase {
    return this.#phase;
  }

  /** True while the occurrence waits for its time (armed or paused). */
  get isWaiting(): boolean {
    return this.#phase === 'armed' || this.#phase === 'paused';
  }

  start(): void {
    this.#actor.start();
  }

  /** Claims at once: by hand (`manual`, ignores grace), or because it is due now. */
  trigger(manual: boolean): void {
    this.#actor.send({ type: 'TRIGGER_NOW', manual });
  }

  pause(): void {
    this.#actor.send({ type: 'PAUSE' });
  }

  resume(): void {
    this.#actor.send({ type: 'RESUME' });
  }

  /** The occurrence was recorded cancelled. */
  cancel(): void {
    this.#resolveClaim(undefined);
    this.#actor.send({ type: 'CANCEL' });
  }

  /** The runtime lets go of a waiting occurrence (skipped, or the scheduler stops). */
  release(): void {
    this.#resolveClaim(undefined);
    this.#actor.send({ type: 'RELEASE' });
  }

  /** The occurrence was recorded missed while it waited; its actor records what followed. */
  missed(lateByMs: number): void {
    this.#actor.send({ type: 'MISSED', lateByMs });
  }
}

/** The phase of a live (not final) state value of the occurrence machine. */
function phaseOf(value: unknown): RunnerPhase {
  if (typeof value === 'string')
    return value === 'recording' || value === 'overdue' ? 'recording' : 'claiming';
  const nested = value as Readonly<Record<string, string>>;
  if (nested.scheduled !== undefined) return nested.scheduled === 'paused' ? 'paused' : 'armed';
  return nested.triggered === 'running' ? 'running' : 'claiming';
}
