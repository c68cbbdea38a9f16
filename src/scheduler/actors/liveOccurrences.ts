import type { AnyActorRef } from 'xstate';
import {
  type OccurrenceEffects,
  occurrenceMachine,
  occurrenceSteps,
  withEffects,
} from '../../../machines/occurrence.js';
import type { Occurrence } from '../../domain/types.js';
import { ActorSlots } from './ActorSlots.js';
import type { LiveOccurrence, RunnerOwner } from './LiveOccurrence.js';
import type { StepperClock } from './MachineStepper.js';
import { compileMachineTable } from './MachineTable.js';
import { OccurrenceRunner } from './OccurrenceRunner.js';
import { SteppedOccurrence } from './SteppedOccurrence.js';

/**
 * Makes the live form of one occurrence: waiting on the clock until `dueAtMs`, or (without
 * it) about to be told to trigger.
 */
export type LiveOccurrences = (
  occurrence: Occurrence,
  dueAtMs: number | undefined,
  owner: RunnerOwner,
) => LiveOccurrence;

export type LiveOccurrencesOptions = Readonly<{
  /** The scheduler's effects, bound once for all its occurrences. */
  effects: OccurrenceEffects;
  /**
   * True while an `inspect` observer is attached: each occurrence is then an XState actor
   * under the supervisor, which the inspector draws and follows. Otherwise each is stepped
   * through the machine's table.
   */
  interpreted: boolean;
  /** The parent of interpreted actors. */
  supervisor: AnyActorRef;
  /** The scheduler's timer queue, which stepped occurrences wait on. */
  clock: StepperClock;
  graceMs: number;
}>;

/**
 * How a scheduler gives its occurrences their live form. Both forms run the one occurrence
 * machine: an interpreted actor executes it with XState; a stepped occurrence walks the table
 * compiled from the same definition and the same plain guards, updates and effects
 * (`occurrenceSteps`), which `test/machines/occurrence.table.test.ts` checks step by step
 * against the actor on every path of the lifecycle model. Stepping costs a fraction of an
 * actor per trigger (measured in `bench/experiments/occurrenceStepping.ts`), so it is the
 * default, and the actors are kept for when someone is watching them.
 */
export function liveOccurrences(options: LiveOccurrencesOptions): LiveOccurrences {
  const { effects, supervisor, clock, graceMs } = options;
  if (!options.interpreted) {
    const table = compileMachineTable(occurrenceMachine, occurrenceSteps(effects));
    return (occurrence, dueAtMs, owner) =>
      new SteppedOccurrence(
        occurrence,
        table,
        { clock, graceMs, ...(dueAtMs === undefined ? {} : { dueAtMs }) },
        owner,
      );
  }
  const machine = withEffects(effects);
  const slots = new ActorSlots();
  return (occurrence, dueAtMs, owner) => {
    const id = slots.take();
    return new OccurrenceRunner(
      occurrence,
      machine,
      { parent: supervisor, id, graceMs, ...(dueAtMs === undefined ? {} : { dueAtMs }) },
      {
        moved: owner.moved,
        finished: (live, outcome) => {
          slots.give(id);
          owner.finished(live, outcome);
        },
      },
    );
  };
}
