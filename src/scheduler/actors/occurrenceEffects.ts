import type { OccurrenceEffects } from '../../../machines/occurrence.js';
import type { CommandQueue } from '../CommandQueue.js';
import { commandBatcher } from '../commandBatcher.js';
import { claimTriggers } from '../commands/claimTriggers.js';
import { recordMisses, recordOutcomes } from '../commands/recordOutcomes.js';
import type { SchedulerParts } from '../SchedulerParts.js';
import type { RunningHandlers } from './RunningHandlers.js';

/**
 * The occurrence machine's four effects, bound to one scheduler: claiming, recording an
 * outcome and recording a miss are commands on its queue; running the handler is not.
 * Claims, outcomes and misses are decided in batches (see commandBatcher), so a burst of
 * occurrences due together costs one append for its triggers, one for its plain outcomes and
 * one for the misses of those that fired too late.
 */
export function occurrenceEffects(
  queue: CommandQueue<SchedulerParts>,
  handlers: RunningHandlers,
  report: (error: unknown) => void,
): OccurrenceEffects {
  const claim = commandBatcher(queue, claimTriggers);
  const record = commandBatcher(queue, recordOutcomes);
  const missBatch = commandBatcher(queue, recordMisses);
  return {
    // An actor turns a failed effect into its `lost` state, so nobody would hear of it:
    // report it here (e.g. the store failed during a timer-driven trigger).
    claim: ({ occurrence, manual }) => reported(claim({ occurrence, manual }), report),
    run: ({ occurrence, idempotencyKey, task }) => handlers.run(occurrence, task, idempotencyKey),
    record: ({ occurrence, outcome }) => reported(record({ occurrence, outcome }), report),
    recordMiss: ({ occurrence }) => reported(missBatch({ occurrence }), report),
  };
}

/** Passes `promise` through, reporting its failure (the caller still sees it). */
function reported<T>(promise: Promise<T>, report: (error: unknown) => void): Promise<T> {
  return promise.catch((error: unknown) => {
    report(error);
    throw error;
  });
}
