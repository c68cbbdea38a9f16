import type { DurableSubject } from './durableQueue.js';

/**
 * Every durable subject by the name results carry. Loaded lazily so a child imports only the
 * library it measures: an unused client library's module state would sit in its heap figures
 * and its load time in Restart's.
 */
const durableSubjects: Readonly<Record<string, () => Promise<DurableSubject>>> = {
  setTimeout: async () => (await import('./timerFloorDurable.js')).timerFloorDurable,
  'planflow-sqlite': async () => (await import('./planflowDurable.js')).planflowDurable,
  'planflow-postgres': async () =>
    (await import('./planflowPostgresDurable.js')).planflowPostgresDurable,
  'pg-boss': async () => (await import('./pgBossDurable.js')).pgBossDurable,
  'graphile-worker': async () => (await import('./graphileWorkerDurable.js')).graphileWorkerDurable,
  bullmq: async () => (await import('./bullmqDurable.js')).bullmqDurable,
};

/** Looks a durable subject up, naming the known ones when the name is wrong. */
export async function loadDurableSubject(name: string): Promise<DurableSubject> {
  const load = durableSubjects[name];
  if (load === undefined) {
    throw new Error(
      `bench: unknown durable subject "${name}"; known: ${Object.keys(durableSubjects).join(', ')}`,
    );
  }
  return load();
}
