import { croner, nodeSchedule, plainSetTimeout, toadScheduler } from './peers.js';
import { planflowTimerQueue } from './planflowTimerQueue.js';
import type { TimerSubject } from './timerSubject.js';

/**
 * Every subject of the Arm and Fire scenarios by the name results carry. Loaded lazily so a
 * child imports only the library it measures (an unused library's module state would sit in
 * the heap figures).
 */
export const timerSubjects: Readonly<Record<string, () => Promise<TimerSubject>>> = {
  setTimeout: async () => plainSetTimeout,
  'node-schedule': async () => nodeSchedule,
  croner: async () => croner,
  'toad-scheduler': async () => toadScheduler,
  'planflow-timerqueue': async () => planflowTimerQueue,
  planflow: async () => (await import('./planflowScheduler.js')).planflowScheduler,
  'planflow-batch': async () => (await import('./planflowScheduler.js')).planflowBatchScheduler,
  'planflow-sqlite': async () => (await import('./planflowScheduler.js')).planflowSqliteScheduler,
};

/** Looks a subject up, naming the known ones when the name is wrong. */
export async function loadTimerSubject(name: string): Promise<TimerSubject> {
  const load = timerSubjects[name];
  if (load === undefined) {
    throw new Error(
      `bench: unknown timer subject "${name}"; known: ${Object.keys(timerSubjects).join(', ')}`,
    );
  }
  return load();
}
