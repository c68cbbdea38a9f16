import { randomBytes } from 'node:crypto';
import { parseCalendar } from '../../src/domain/validateCalendar.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { makeOccurrence } from '../../src/index.js';
import { calendarConfigured, occurrenceScheduled, taskDefined } from '../../src/log/facts.js';
import { postgresStore } from '../../src/postgres/index.js';
import { ARM_CHUNK, DURABLE_SETTINGS, PG_URL } from '../subjects/durableSettings.js';
import { FLEET_CALENDAR, type FleetInstanceArgs } from './fleetInstanceArgs.js';

/** A fresh schema name for one Fleet case; the case drops it at its end. */
export const fleetSchema = () => `bench_fleet_${process.pid}_${randomBytes(4).toString('hex')}`;

/** How many instances a Fleet subject runs (`planflow-fleet-3`: 3), from its settings. */
export function fleetInstances(subject: string): number {
  const instances = DURABLE_SETTINGS[subject]?.settings.instances;
  if (typeof instances !== 'number') throw new Error(`bench: ${subject} is not a fleet subject`);
  return instances;
}

/** The arguments every instance of a case shares (all but its id). */
export function fleetBase(
  schema: string,
  subject: string,
  overrides: Readonly<{ leaseTtlMs: number; graceMs: number; workMs: number }>,
): Omit<FleetInstanceArgs, 'instanceId'> {
  return {
    url: PG_URL,
    schema,
    maxConnections: Number(DURABLE_SETTINGS[subject]!.settings.maxConnections),
    ...overrides,
  };
}

/**
 * Records, before any instance starts, the calendar, `tasks` one-off tasks `t0 …` (handler
 * `noop`, no retries) and `n` occurrences spread over them round-robin; task k's j-th
 * occurrence is due `dueMs + ⌊j · windowMs / per task⌋` (an occurrence's id derives from its
 * task and time, so one task's occurrences need distinct instants). Appended in chunks of
 * {@link ARM_CHUNK} through a store opened for the setup only.
 */
export async function recordOneShots(
  schema: string,
  params: Readonly<{ n: number; tasks: number; dueMs: number; windowMs: number }>,
): Promise<void> {
  const { n, tasks, dueMs, windowMs } = params;
  const store = await postgresStore({ connectionString: PG_URL, schema, verifyOnOpen: false });
  try {
    const calendar = parseCalendar(FLEET_CALENDAR);
    const now = new Date();
    const definitions = Array.from({ length: tasks }, (_, k) =>
      taskDefined(
        parseTask(
          { id: `t${k}`, title: `Fleet task ${k}`, handler: 'noop', retry: { maxRetries: 0 } },
          calendar,
          now,
        ),
      ),
    );
    await store.append([calendarConfigured(calendar), ...definitions]);
    const perTask = Math.ceil(n / tasks);
    for (let i = 0; i < n; i += ARM_CHUNK) {
      const chunk = [];
      for (let j = i; j < Math.min(n, i + ARM_CHUNK); j++) {
        const slot = Math.floor(j / tasks);
        const due = dueMs + Math.floor((slot * windowMs) / perTask);
        chunk.push(
          occurrenceScheduled(
            makeOccurrence({
              taskId: `t${j % tasks}`,
              cause: 'initial',
              scheduledFor: new Date(due),
            }),
          ),
        );
      }
      await store.append(chunk);
    }
  } finally {
    await store.close();
  }
}
