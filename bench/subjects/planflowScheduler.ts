import type { EventStore } from '../../src/log/EventStore.js';
import { memoryStore } from '../../src/log/memoryStore.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import { wallNow } from '../lib/clock.js';
import { scratchDir } from '../lib/scratch.js';
import { benchScheduler } from './benchScheduler.js';
import type { TimerSubject } from './timerSubject.js';

/**
 * PlanFlow as a user runs it, on the system clock. Arming is
 * `await scheduler.scheduleOccurrence(occurrence)` per occurrence, which records
 * `occurrence.scheduled` in the log, folds it into the read model and arms the timer (far
 * ones as one queue entry, ones within the horizon as a live actor). Lateness is taken when
 * the handler is invoked, i.e. after the trigger was recorded. When several due times fall
 * in one millisecond (Fire) the calendar accepts them all (`exclusiveInstants: false`).
 */
function schedulerSubject(openStore: (file: string) => Promise<EventStore>): TimerSubject {
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
        async arm() {
          for (const occurrence of occurrences) await scheduler.scheduleOccurrence(occurrence);
        },
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

/** The scheduler with the SQLite store (`synchronous: 'NORMAL'`): the log lives on disk. */
export const planflowSqliteScheduler = schedulerSubject((file) =>
  sqliteStore({ path: file, synchronous: 'NORMAL' }),
);
