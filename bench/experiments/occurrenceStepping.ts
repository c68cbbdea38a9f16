// What one occurrence's trip through the machine costs in each of its two forms: the XState
// actor (a child of the supervisor, as with an inspector attached) and the same machine
// stepped through its compiled table (a scheduler's default). N occurrences are given their
// live form due now, triggered, granted, run and recorded done by effects that answer at
// once; the figures are wall and CPU time per occurrence and the heap allocated meanwhile,
// rounds alternating between the forms in one process.
//   npx tsx --expose-gc bench/experiments/occurrenceStepping.ts [N] [rounds]

import { createActor } from 'xstate';
import type { OccurrenceEffects, OccurrenceOutcome } from '../../machines/occurrence.js';
import { supervisorMachine } from '../../machines/supervisor.js';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import type { Occurrence } from '../../src/domain/types.js';
import { indexScheduledEvents } from '../../src/scheduler/actors/indexScheduledEvents.js';
import type { LiveOccurrence, RunnerOwner } from '../../src/scheduler/actors/LiveOccurrence.js';
import { liveOccurrences } from '../../src/scheduler/actors/liveOccurrences.js';
import { systemClock } from '../../src/time/systemClock.js';
import { TimerQueue } from '../../src/time/TimerQueue.js';

const N = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const gc = (globalThis as { gc?: () => void }).gc;

const effects: OccurrenceEffects = {
  claim: async () => ({ kind: 'granted', idempotencyKey: 'k' }),
  run: async () => ({ ok: true, durationMs: 0 }),
  record: async () => 'done',
  recordMiss: async () => 'missed',
};

const occurrences: Occurrence[] = Array.from({ length: N }, (_, i) =>
  makeOccurrence({
    taskId: `t${i}`,
    cause: 'initial',
    scheduledFor: new Date(Date.UTC(2026, 0, 1)).toISOString(),
  }),
);

async function round(interpreted: boolean) {
  const timers = new TimerQueue({ clock: systemClock });
  const supervisor = createActor(supervisorMachine, { clock: timers });
  indexScheduledEvents(supervisor.system);
  supervisor.start();
  const live = liveOccurrences({
    effects,
    interpreted,
    supervisor,
    clock: timers,
    graceMs: 30_000,
  });
  let finished = 0;
  let allDone!: () => void;
  const done = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  const owner: RunnerOwner = {
    moved: () => {},
    finished: (_live: LiveOccurrence, outcome: OccurrenceOutcome) => {
      if (outcome !== 'done') throw new Error(`ended ${outcome}`);
      if (++finished === N) allDone();
    },
  };
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const occurrence of occurrences) {
    const one = live(occurrence, undefined, owner);
    one.start();
    one.trigger(false);
  }
  await done;
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const allocated = process.memoryUsage().heapUsed - heap0;
  supervisor.stop();
  timers.dispose();
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, allocated };
}

const results: Record<string, Array<Awaited<ReturnType<typeof round>>>> = { actor: [], table: [] };
for (let r = 0; r < ROUNDS; r++) {
  results.actor!.push(await round(true));
  results.table!.push(await round(false));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`${N} occurrences, ${ROUNDS} rounds each (medians)`);
for (const [form, rs] of Object.entries(results)) {
  const us = (ms: number) => ((ms * 1000) / N).toFixed(1);
  console.log(
    `${form.padEnd(6)} wall ${us(median(rs.map((r) => r.wallMs)))} µs, CPU ${us(median(rs.map((r) => r.cpuMs)))} µs, heap growth ${Math.round(median(rs.map((r) => r.allocated)) / N)} B per occurrence`,
  );
}
