import { setTimeout as sleep } from 'node:timers/promises';
import { postgresStore } from '../../src/postgres/index.js';
import { createScheduler } from '../../src/scheduler/createScheduler.js';
import { dropPgSchema } from '../lib/dropPgSchema.js';
import { FleetLog, type FleetTrigger } from '../lib/FleetLog.js';
import { FleetProcesses } from '../lib/FleetProcesses.js';
import { FLEET_CALENDAR } from '../lib/fleetInstanceArgs.js';
import { fleetBase, fleetInstances, fleetSchema } from '../lib/fleetSetup.js';
import type { ChildOutput, JobParams } from '../lib/job.js';
import { percentileOfSorted } from '../lib/stats.js';
import { PG_URL } from '../subjects/durableSettings.js';

/** An RRULE instant, `20261202T130000Z`. */
const rruleTime = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/** Defines `tasks` tasks `t0 …` due every second from `startMs` (handler `work`), then closes. */
async function defineSteadySchedule(schema: string, tasks: number, startMs: number) {
  const store = await postgresStore({ connectionString: PG_URL, schema, verifyOnOpen: false });
  const setup = createScheduler({
    store,
    calendar: FLEET_CALENDAR,
    handlers: { noop: () => undefined, work: () => undefined },
  });
  try {
    for (let k = 0; k < tasks; k++) {
      await setup.defineTask({
        id: `t${k}`,
        title: `Fleet task ${k}`,
        handler: 'work',
        calendar: 'ignore',
        retry: { maxRetries: 1, delayMs: 100 },
        recurrence: { rrule: `DTSTART:${rruleTime(startMs)}\nRRULE:FREQ=SECONDLY` },
      });
    }
  } finally {
    await setup.stop();
    await store.close();
  }
}

/** Which instance triggered each task last among `triggers` (the current owner). */
function lastOwners(triggers: readonly FleetTrigger[]): Map<string, string> {
  const owners = new Map<string, string>();
  for (const t of triggers) owners.set(t.taskId, t.instanceId);
  return owners;
}

const sorted = (values: readonly number[]) => Float64Array.from(values).sort();

/**
 * Failover: `instances` instances (each its own OS process) run `tasks` tasks due every
 * second (calendar 'ignore'; the handler works `workMs`, so some runs are under way at a
 * kill); `kills` times, one instance is SIGKILLed at a known instant, and for each task it
 * triggered last, the time from the kill to the task's first trigger by a survivor is read
 * from the log — detecting the death (the next heartbeat that reads the leases: a lease of a
 * dead pid on this host is stale at once), rebalancing, and the next due time or the late
 * one. Also from the kill until the dead instance's runs in flight are recorded interrupted.
 * A replacement (a new instance id) starts after each kill and the fleet settles before the
 * next one.
 */
export async function runFleetFailover(
  subjectName: string,
  params: JobParams,
): Promise<ChildOutput> {
  const tasks = Number(params.tasks);
  const kills = Number(params.kills);
  const leaseTtlMs = Number(params.leaseTtlMs);
  const instances = fleetInstances(subjectName);
  const schema = fleetSchema();
  const notes: string[] = [];
  const fleet = new FleetProcesses(
    fleetBase(schema, subjectName, {
      leaseTtlMs,
      graceMs: Number(params.graceMs),
      workMs: Number(params.workMs),
    }),
  );
  let log: FleetLog | undefined;
  try {
    const startMs = Math.ceil((Date.now() + 3_000) / 1_000) * 1_000;
    await defineSteadySchedule(schema, tasks, startMs);
    const slots = Array.from({ length: instances }, (_, i) => ({ slot: i, generation: 0 }));
    const idOf = (s: { slot: number; generation: number }) => `s${s.slot}-g${s.generation}`;
    await Promise.all(slots.map((s) => fleet.start(idOf(s)).ready));
    log = await FleetLog.open(PG_URL, schema);
    const failovers: number[] = [];
    const perKillMax: number[] = [];
    const interrupted: number[] = [];
    let moved = 0;
    let mark = await log.head();
    for (let k = 0; k < kills; k++) {
      // Settle: every instance has triggered, and ownership held still for two seconds.
      const settleDeadline = Date.now() + 30_000 + 2 * leaseTtlMs;
      let owners = new Map<string, string>();
      for (;;) {
        await sleep(2_000);
        const recent = await log.triggersAfter(mark);
        const next = lastOwners(recent);
        const all = fleet.running().every((p) => [...next.values()].includes(p.instanceId));
        const still = next.size === tasks && [...next].every(([t, o]) => owners.get(t) === o);
        owners = next;
        mark = recent.at(-1)?.seq ?? mark;
        if ((all && still) || Date.now() > settleDeadline) break;
      }
      const victim = slots[k % slots.length]!;
      const victimId = idOf(victim);
      const owned = [...owners].filter(([, o]) => o === victimId).map(([t]) => t);
      const beforeKill = await log.head();
      const killedAt = Date.now();
      await fleet.kill(victimId);
      // Until each task it owned is triggered by a survivor.
      const pending = new Set(owned);
      const deadline = killedAt + 2 * leaseTtlMs + 30_000;
      let worst = 0;
      while (pending.size > 0 && Date.now() < deadline) {
        await sleep(50);
        for (const t of await log.triggersAfter(beforeKill)) {
          if (!pending.has(t.taskId) || t.instanceId === victimId) continue;
          pending.delete(t.taskId);
          failovers.push(t.atMs - killedAt);
          worst = Math.max(worst, t.atMs - killedAt);
        }
      }
      if (pending.size > 0) notes.push(`kill ${k + 1}: ${pending.size} tasks never failed over`);
      perKillMax.push(worst);
      moved += owned.length;
      for (const at of await log.interruptedOf(victimId, beforeKill))
        interrupted.push(at - killedAt);
      victim.generation++;
      await fleet.start(idOf(victim)).ready;
    }
    const all = sorted(failovers);
    const killMax = sorted(perKillMax);
    const cut = sorted(interrupted);
    return {
      metrics: {
        kills,
        tasksMoved: moved,
        failoverP50Ms: percentileOfSorted(all, 50),
        failoverP99Ms: percentileOfSorted(all, 99),
        failoverMaxMs: all.length === 0 ? Number.NaN : all[all.length - 1]!,
        perKillMaxP50Ms: percentileOfSorted(killMax, 50),
        interruptedRuns: interrupted.length,
        ...(cut.length === 0
          ? {}
          : {
              interruptedP50Ms: percentileOfSorted(cut, 50),
              interruptedMaxMs: cut[cut.length - 1]!,
            }),
        leaseTtlMs,
        graceMs: Number(params.graceMs),
      },
      notes,
    };
  } finally {
    await log?.close();
    await fleet.stopAll();
    await dropPgSchema(schema);
  }
}
