import type { Occurrence } from '../../src/domain/types.js';
import type { EventStore } from '../../src/log/EventStore.js';
import { memoryStore } from '../../src/log/memoryStore.js';
import type { SmartScheduler } from '../../src/scheduler/SmartScheduler.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import { wallNow } from '../lib/clock.js';
import { scratchDir } from '../lib/scratch.js';
import { benchScheduler } from './benchScheduler.js';
import type { TimerSubject } from './timerSubject.js';

/** How a subject hands its occurrences to the scheduler. */
type ArmWith = (scheduler: SmartScheduler, occurrences: readonly Occurrence[]) => Promise<void>;

/** One awaited `scheduleOccurrence` per occurrence: a command, an append and a fold each. */
const oneByOne: ArmWith = async (scheduler, occurrences) => {
  for (const occurrence of occurrences) await scheduler.scheduleOccurrence(occurrence);
};

/**
 * Occurrences per `scheduleOccurrences` call in `planflow-batch`. Each call holds the command
 * queue while it decides and appends, so an application arming 100 000 would not pass them
 * in one call; a thousand makes the per-call overhead (await, queue pass, store transaction)
 * small next to the per-occurrence work, while one call still takes only ~10–20 ms.
 */
export const BATCH_CHUNK = 1_000;

/** `scheduleOccurrences` over chunks of {@link BATCH_CHUNK}, one awaited call per chunk. */
const inChunks: ArmWith = async (scheduler, occurrences) => {
  for (let i = 0; i < occurrences.length; i += BATCH_CHUNK) {
    await scheduler.scheduleOccurrences(occurrences.slice(i, i + BATCH_CHUNK));
  }
};

/**
 * PlanFlow as a user runs it, on the system clock. Arming records `occurrence.scheduled` in
 * the log, folds it into the read model and arms the timer (far ones as one queue entry, ones
 * within the horizon as a live actor), either one awaited `scheduleOccurrence` per occurrence
 * or through `scheduleOccurrences` in chunks. Lateness is taken when the handler is invoked,
 * i.e. after the trigger was recorded. When several due times fall in one millisecond (Fire)
 * the calendar accepts them all (`exclusiveInstants: false`).
 */
function schedulerSubject(
  openStore: (file: string) => Promise<EventStore>,
  armWith: ArmWith = oneByOne,
): TimerSubject {
  return {
    async setup(dues, onFire) {
      const scratch = scratchDir();
      const store = await openStore(scratch.file('log.db'));
      const { scheduler, occurrences } = await benchScheduler(
        store,
        dues,
        (occurrence) => onFire(wallNow() - Date.parse(occurrence.scheduledFor)),
        new Set(dues).size < dues.length,
      );
      return {
        arm: () => armWith(scheduler, occurrences),
        pending: () => scheduler.armedCount,
        async dispose() {
          await scheduler.stop();
          await store.close();
          scratch.remove();
        },
      };
    },
  };
}

/** The scheduler with the in-memory store: the whole log lives in the heap. */
export const planflowScheduler = schedulerSubject(async () => memoryStore());

/** The in-memory store, armed through `scheduleOccurrences` in chunks of {@link BATCH_CHUNK}. */
export const planflowBatchScheduler = schedulerSubject(async () => memoryStore(), inChunks);

/** The scheduler with the SQLite store (`synchronous: 'NORMAL'`): the log lives on disk. */
export const planflowSqliteScheduler = schedulerSubject((file) =>
  sqliteStore({ path: file, synchronous: 'NORMAL' }),
);
