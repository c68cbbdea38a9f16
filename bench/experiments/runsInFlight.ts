// What starting many handler runs at once costs: 30 000 runs of a handler that waits until
// released, started through RunningHandlers, then released. Prints the time to start them.
//   npx tsx bench/experiments/runsInFlight.ts

import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { RunningHandlers } from '../../src/scheduler/actors/RunningHandlers.js';
import { systemClock } from '../../src/time/systemClock.js';
import { TimerQueue } from '../../src/time/TimerQueue.js';

const N = Number(process.argv[2] ?? 30_000);
let release!: () => void;
const gate = new Promise<void>((resolve) => {
  release = resolve;
});
const handlers = new RunningHandlers({ wait: () => gate }, new TimerQueue({ clock: systemClock }));
const task = parseTask({ id: 't', title: 't', handler: 'wait' }, undefined, new Date());
const t0 = performance.now();
const runs = [];
for (let i = 0; i < N; i++) {
  const occurrence = makeOccurrence({
    taskId: 't',
    cause: 'initial',
    scheduledFor: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  });
  runs.push(handlers.run(occurrence, task, `k${i}`));
}
await new Promise((resolve) => setImmediate(resolve));
const started = performance.now() - t0;
release();
await Promise.all(runs);
console.log(
  `${N} runs: started in ${started.toFixed(0)} ms, all settled after ${(performance.now() - t0).toFixed(0)} ms`,
);
