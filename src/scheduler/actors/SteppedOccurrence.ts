import {
  type OccurrenceContext,
  type OccurrenceEvent,
  type OccurrenceOutcome,
  occurrenceContext,
} from '../../../machines/occurrence.js';
import type { Occurrence } from '../../domain/types.js';
import { LiveOccurrence, type RunnerOwner } from './LiveOccurrence.js';
import { MachineStepper, type StepperClock } from './MachineStepper.js';
import type { MachineTable } from './MachineTable.js';

/** The occurrence machine compiled for one scheduler (`occurrenceTable`). */
export type OccurrenceTable = MachineTable<OccurrenceContext, OccurrenceEvent>;

/**
 * One occurrence stepped through the occurrence machine's table, without an actor: the same
 * states, guards, actions and delays as {@link OccurrenceRunner}'s actor, at a fraction of
 * the cost (no actor system membership, mailbox, snapshot objects or relayed done events).
 * Its `after` delay is an entry on the scheduler's timer queue.
 */
export class SteppedOccurrence extends LiveOccurrence {
  readonly #stepper: MachineStepper<OccurrenceContext, OccurrenceEvent>;

  constructor(
    occurrence: Occurrence,
    table: OccurrenceTable,
    options: Readonly<{ clock: StepperClock; graceMs: number; dueAtMs?: number }>,
    owner: RunnerOwner,
  ) {
    super(occurrence, owner);
    const { clock, graceMs, dueAtMs } = options;
    const context = occurrenceContext({
      occurrence,
      graceMs,
      ...(dueAtMs === undefined ? {} : { dueAtMs }),
    });
    this.#stepper = new MachineStepper(table, context, clock, () => {
      const stepper = this.#stepper;
      this.observe(
        stepper.value,
        stepper.context.claim,
        stepper.done ? (stepper.stateKey as OccurrenceOutcome) : undefined,
      );
    });
  }

  start(): void {
    this.#stepper.start();
  }

  protected send(event: OccurrenceEvent): void {
    this.#stepper.send(event);
  }
}
