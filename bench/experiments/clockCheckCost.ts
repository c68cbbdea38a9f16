// What the TimerQueue's once-a-second clock check costs, and what an RRULE due time costs the
// planner next to cron and interval. Figures go to docs/performance.md.
//
// Run: npx tsx bench/experiments/clockCheckCost.ts
import { parseTask } from '../../src/domain/validateTask.js';
import { nextDueAfter } from '../../src/planning/dueTimes.js';
import { ClockWatch } from '../../src/time/ClockWatch.js';
import { systemClock } from '../../src/time/systemClock.js';
import { TimerQueue } from '../../src/time/TimerQueue.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;

/** µs per call of `fn`, the median of `rounds` rounds of `n` calls. */
function perCall(fn: () => void, n: number, rounds = 7): number {
  for (let i = 0; i < n; i++) fn();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    samples.push(((performance.now() - t0) * 1000) / n);
  }
  return median(samples);
}

// 1. The check's own work: one mark and one observation (two readings of each clock).
const watch = new ClockWatch(systemClock, 2_000);
let sink = 0;
const checkUs = perCall(() => {
  const mark = watch.mark(1_000);
  sink += watch.observe(mark, Date.now(), true) === undefined ? 0 : 1;
}, 200_000);

// 2. In real time: CPU per host-timer fire of the check (timer, callback, mark, observe,
// re-arm), against a bare timer chain of the same length; the check fires once a second.
async function cpuPerFire(fires: number, withCheck: boolean): Promise<number> {
  const before = process.cpuUsage();
  await new Promise<void>((resolve) => {
    let left = fires;
    let mark = watch.mark(1);
    const tick = () => {
      if (withCheck) {
        sink += watch.observe(mark, Date.now(), true) === undefined ? 0 : 1;
        mark = watch.mark(1);
      }
      if (--left === 0) resolve();
      else setTimeout(tick, 1);
    };
    setTimeout(tick, 1);
  });
  const used = process.cpuUsage(before);
  return (used.user + used.system) / fires;
}
await cpuPerFire(500, true);
const bare: number[] = [];
const checked: number[] = [];
for (let round = 0; round < 3; round++) {
  bare.push(await cpuPerFire(2_000, false));
  checked.push(await cpuPerFire(2_000, true));
}

// And a whole queue: one entry an hour away, 5 s of real time, check off then on.
async function cpuOver(seconds: number, clockCheckMs: number): Promise<number> {
  const queue = new TimerQueue({ clockCheckMs, keepAlive: false });
  queue.schedule(Date.now() + 3_600_000, () => {});
  const before = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const used = process.cpuUsage(before);
  queue.dispose();
  return (used.user + used.system) / seconds; // µs of CPU per second
}
const seconds = 5;
const offRuns: number[] = [];
const onRuns: number[] = [];
for (let round = 0; round < 3; round++) {
  offRuns.push(await cpuOver(seconds, 0));
  onRuns.push(await cpuOver(seconds, 1_000));
}

// 3. Due times: RRULE next to cron and interval, each from 2 000 instants over a year.
const recurrences = {
  interval: { everyMs: 86_400_000, anchor: '2026-01-01T08:00:00Z' },
  cron: { cron: '0 9 * * *', timeZone: 'Europe/Berlin' },
  rrule: { rrule: 'DTSTART;TZID=Europe/Berlin:20260101T090000 RRULE:FREQ=DAILY' },
};
const from = Date.parse('2026-01-01T00:00:00Z');
const due: Record<string, number> = {};
for (const [kind, recurrence] of Object.entries(recurrences)) {
  const task = parseTask({ id: kind, title: kind, createdAt: '2025-12-01T00:00:00Z', recurrence });
  let i = 0;
  // Scattered queries (the planner's worst case) and a walk forward (a series following up).
  const scattered = perCall(() => {
    sink += nextDueAfter(task, from + ((i++ * 15_768_000) % 31_536_000_000), 'UTC') ?? 0;
  }, 2_000);
  let t = from;
  const walking = perCall(() => {
    t = nextDueAfter(task, t, 'UTC') ?? from;
  }, 2_000);
  due[kind] = scattered;
  due[`${kind} (walking)`] = walking;
}

console.log(`clock check, one mark + observe: ${checkUs.toFixed(2)} µs`);
const list = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(', ');
console.log(
  `CPU per host-timer fire: bare ${list(bare)} µs; with the check's work ${list(checked)} µs`,
);
console.log(
  `idle process CPU with one entry pending, ${seconds} s windows: check off ${list(offRuns)} µs/s; on ${list(onRuns)} µs/s`,
);
for (const [kind, us] of Object.entries(due))
  console.log(`nextDueAfter ${kind}: ${us.toFixed(2)} µs`);
if (sink === -1) console.log(sink);
