import type { StateValue } from 'xstate';
import type {
  ClaimResult,
  OccurrenceEvent,
  OccurrenceOutcome,
} from '../../../machines/occurrence.js';
import type { Occurrence } from '../../domain/types.js';

/** Where a live occurrence stands, as its owner counts it. */
export type RunnerPhase = 'armed' | 'paused' | 'claiming' | 'running' | 'recording' | 'final';

/** What a live occurrence tells its owner. */
export type RunnerOwner = Readonly<{
  /** It moved from one phase to another. */
  moved(live: LiveOccurrence, from: RunnerPhase, to: RunnerPhase): void;
  /** It reached a final state (also reported as a move to `final`). */
  finished(live: LiveOccurrence, outcome: OccurrenceOutcome): void;
}>;

/**
 * One occurrence running through the occurrence machine, from the horizon before its time
 * until it reaches a final state: as an XState actor under the supervisor
 * ({@link OccurrenceRunner}, when an inspector watches) or stepped through the machine's
 * table ({@link SteppedOccurrence}). The runtime talks to either only through the machine's
 * events (`PAUSE`, `RESUME`, `CANCEL`, `RELEASE`, `MISSED`, `TRIGGER_NOW`), so every path it
 * takes is a path of the diagram; this class turns what the machine reports after each step
 * into phases for its owner and the claim's answer.
 */
export abstract class LiveOccurrence {
  readonly occurrence: Occurrence;
  readonly #owner: RunnerOwner;
  readonly #claimed: Promise<ClaimResult | undefined>;
  #resolveClaim: (claim: ClaimResult | undefined) => void = () => {};
  #phase: RunnerPhase = 'armed';

  constructor(occurrence: Occurrence, owner: RunnerOwner) {
    this.occurrence = occurrence;
    this.#owner = owner;
    this.#claimed = new Promise((resolve) => {
      this.#resolveClaim = resolve;
    });
  }

  /** Starts the machine: it waits for the due time (or triggers, when told at once). */
  abstract start(): void;

  /** Hands an event to the machine. */
  protected abstract send(event: OccurrenceEvent): void;

  /**
   * What the machine reports after each step: its state value, the claim's answer once
   * there is one, and its final state once it reached one.
   */
  protected observe(
    value: StateValue,
    claim: ClaimResult | undefined,
    outcome: OccurrenceOutcome | undefined,
  ): void {
    // The claim's answer is in context from the step that received it.
    if (claim !== undefined) this.#resolveClaim(claim);
    this.#moveTo(outcome !== undefined ? 'final' : phaseOf(value));
    if (outcome === undefined) return;
    this.#resolveClaim(undefined);
    this.#owner.finished(this, outcome);
  }

  /** The machine failed outright (an actor error): the occurrence ends lost. */
  protected failed(): void {
    this.#resolveClaim(undefined);
    this.#moveTo('final');
    this.#owner.finished(this, 'lost');
  }

  #moveTo(phase: RunnerPhase): void {
    const from = this.#phase;
    if (from === phase) return;
    this.#phase = phase;
    this.#owner.moved(this, from, phase);
  }

  /** Settles with the claim once the machine asked to trigger (undefined if it never did). */
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

  /** Claims at once: by hand (`manual`, ignores grace), or because it is due now. */
  trigger(manual: boolean): void {
    this.send({ type: 'TRIGGER_NOW', manual });
  }

  pause(): void {
    this.send({ type: 'PAUSE' });
  }

  resume(): void {
    this.send({ type: 'RESUME' });
  }

  /** The occurrence was recorded cancelled. */
  cancel(): void {
    this.#resolveClaim(undefined);
    this.send({ type: 'CANCEL' });
  }

  /** The runtime lets go of a waiting occurrence (skipped, or the scheduler stops). */
  release(): void {
    this.#resolveClaim(undefined);
    this.send({ type: 'RELEASE' });
  }

  /** The occurrence was recorded missed while it waited; its machine records what followed. */
  missed(lateByMs: number): void {
    this.send({ type: 'MISSED', lateByMs });
  }
}

/** The phase of a live (not final) state value of the occurrence machine. */
function phaseOf(value: StateValue): RunnerPhase {
  if (typeof value === 'string')
    return value === 'recording' || value === 'overdue' ? 'recording' : 'claiming';
  const nested = value as Readonly<Record<string, string>>;
  if (nested.scheduled !== undefined) return nested.scheduled === 'paused' ? 'paused' : 'armed';
  return nested.triggered === 'running' ? 'running' : 'claiming';
}
