/**
 * Which actor topology scales to 100 000 occurrences? Measures, per occurrence, the time to
 * arm N occurrences and the heap they hold after GC, for:
 *
 * - `children`   N occurrence actors spawned into ONE parent machine;
 * - `sharded`    the same spread over 1 024 parent machines;
 * - `standalone` N root actors from `createActor`, kept in a Map;
 * - `horizon`    one timer-queue entry + read-model row per occurrence; an actor is created
 *                only `HORIZON_MS` before its time and dropped when it ends;
 * - `queue`      the timer queue alone (the floor under every design), up to 1 000 000.
 *
 * Every variant keeps the same read-model rows (the Occurrence objects) and runs its timers
 * on one TimerQueue over a TestClock, so no real timer is involved and only the topology
 * differs. `standalone` and `horizon` are also run through: time advanced past every due
 * time with every actor reaching a final state. Each case runs in a fresh process
 * (`--expose-gc`); a case predicted to take over `BUDGET_MS` is skipped and its time
 * extrapolated from the smaller sizes.
 *
 * Run: `npx tsx bench/experiments/actorDesign.ts` (figures on stdout, JSON in bench/results/).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type AnyActorRef, createActor, setup, spawnChild } from 'xstate';
import { occurrenceMachine } from '../../machines/occurrence.js';
import type { Occurrence } from '../../src/domain/types.js';
import { TestClock } from '../../src/testing/index.js';
import { TimerQueue } from '../../src/time/TimerQueue.js';

const VARIANTS = ['children', 'sharded', 'standalone', 'horizon', 'queue'] as const;
type Variant = (typeof VARIANTS)[number];
const SIZES: Record<Variant, readonly number[]> = {
  children: [1_000, 3_000, 10_000, 100_000],
  sharded: [1_000, 10_000, 100_000],
  standalone: [1_000, 10_000, 100_000],
  horizon: [1_000, 10_000, 100_000],
  queue: [1_000, 10_000, 100_000, 1_000_000],
};
const RUN_THROUGH: ReadonlySet<Variant> = new Set(['standalone', 'horizon']);
const BUDGET_MS = 60_000;
const SHARDS = 1_024;
const HORIZON_MS = 60_000;
const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const SPAN_MS = 7 * 86_400_000;
const FIRST_DUE_MS = 5 * 60_000;
/** Run-through granularity: actors that came due within one step settle together. */
const RUN_STEP_MS = 10 * 60_000;

type Result = {
  variant: Variant;
  n: number;
  armMs: number;
  heapBytes: number | null;
  liveActors: number;
  runMs?: number;
  peakLiveActors?: number;
  extrapolated?: boolean;
};

const dueOf = (i: number, n: number): number => T0 + FIRST_DUE_MS + Math.floor((i * SPAN_MS) / n);
const occurrenceOf = (i: number, n: number): Occurrence => ({
  id: `occ-${i.toString(36).padStart(6, '0')}`,
  taskId: `task-${i % 100}`,
  scheduledFor: new Date(dueOf(i, n)).toISOString(),
  attempt: 0,
  cause: 'initial',
});

const parentMachine = setup({
  types: { events: {} as { type: 'SPAWN'; occurrence: Occurrence } },
  actors: { occurrence: occurrenceMachine },
  actions: {
    spawnOccurrence: spawnChild('occurrence', {
      id: ({ event }) => event.occurrence.id,
      input: ({ event }) => ({ occurrence: event.occurrence }),
    }),
  },
}).createMachine({ on: { SPAWN: { actions: 'spawnOccurrence' } } });

const heapUsed = (): number | null => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return null;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

/** One case, in this process. Everything built stays referenced until the heap is read. */
async function runCase(variant: Variant, n: number): Promise<Result> {
  const clock = new TestClock(T0);
  const queue = new TimerQueue({ clock });
  const before = heapUsed();
  const started = performance.now();
  const rows = new Map<string, Occurrence>();
  const live = new Map<string, AnyActorRef>();
  let peak = 0;
  const startActor = (occurrence: Occurrence): void => {
    const actor = createActor(occurrenceMachine, { clock: queue, input: { occurrence } });
    live.set(occurrence.id, actor);
    peak = Math.max(peak, live.size);
    actor.subscribe({ complete: () => live.delete(occurrence.id) });
    actor.start();
  };
  const parents: AnyActorRef[] = [];
  if (variant === 'children' || variant === 'sharded') {
    const count = variant === 'children' ? 1 : SHARDS;
    for (let s = 0; s < count; s++)
      parents.push(createActor(parentMachine, { clock: queue }).start());
  }
  for (let i = 0; i < n; i++) {
    const occurrence = occurrenceOf(i, n);
    rows.set(occurrence.id, occurrence);
    if (variant === 'children' || variant === 'sharded') {
      parents[i % parents.length]!.send({ type: 'SPAWN', occurrence });
    } else if (variant === 'standalone') {
      startActor(occurrence);
    } else if (variant === 'horizon') {
      const due = dueOf(i, n);
      if (due - HORIZON_MS <= clock.now()) startActor(occurrence);
      else queue.schedule(due - HORIZON_MS, () => startActor(occurrence), occurrence.id);
    } else {
      queue.schedule(dueOf(i, n), () => rows.delete(occurrence.id), occurrence.id);
    }
  }
  const armMs = performance.now() - started;
  const after = heapUsed();
  const liveActors =
    variant === 'children' || variant === 'sharded'
      ? parents.reduce((sum, p) => sum + Object.keys(p.getSnapshot().children).length, 0)
      : live.size;
  const result: Result = {
    variant,
    n,
    armMs,
    heapBytes: before === null || after === null ? null : (after - before) / n,
    liveActors,
  };
  if (RUN_THROUGH.has(variant)) {
    // Advance in steps, letting the promise actors (claim, run, record) settle after each.
    const runStarted = performance.now();
    for (let t = 0; t <= FIRST_DUE_MS + SPAN_MS + HORIZON_MS; t += RUN_STEP_MS) {
      clock.advance(RUN_STEP_MS);
      await clock.settle();
    }
    result.runMs = performance.now() - runStarted;
    result.peakLiveActors = peak;
    if (live.size !== 0) throw new Error(`${variant}/${n}: ${live.size} actors never finished`);
  }
  if (rows.size === 0 && queue.size < 0) throw new Error('unreachable: keeps rows referenced');
  return result;
}

/**
 * Time a size would take, from the two largest sizes measured (exponent fitted). Children
 * of one parent are assumed at least quadratic: small sizes under-fit their growth (1k→3k
 * fitted 1.3, 3k→10k measured ~3).
 */
function predictMs(done: readonly Result[], n: number, variant: Variant): number {
  const last = done.at(-1);
  if (last === undefined) return 0;
  const prev = done.at(-2);
  const total = (r: Result) => r.armMs + (r.runMs ?? 0);
  const floor = variant === 'children' ? 2 : 1;
  const fitted =
    prev === undefined ? floor : Math.log(total(last) / total(prev)) / Math.log(last.n / prev.n);
  return total(last) * (n / last.n) ** Math.max(floor, fitted);
}

function orchestrate(): void {
  const self = fileURLToPath(import.meta.url);
  const results: Result[] = [];
  for (const variant of VARIANTS) {
    const done: Result[] = [];
    for (const n of SIZES[variant]) {
      const predicted = predictMs(done, n, variant);
      if (predicted > BUDGET_MS) {
        results.push({
          variant,
          n,
          armMs: predicted,
          heapBytes: done.at(-1)?.heapBytes ?? null,
          liveActors: n,
          extrapolated: true,
        });
        continue;
      }
      const child = spawnSync(
        process.execPath,
        ['--expose-gc', '--import', 'tsx', self, '--case', variant, String(n)],
        { encoding: 'utf8', timeout: 4 * BUDGET_MS, maxBuffer: 1 << 20 },
      );
      const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
      if (child.status !== 0 || line === undefined) {
        process.stderr.write(`${variant}/${n} failed: ${child.stderr || child.signal}\n`);
        break;
      }
      const result = JSON.parse(line) as Result;
      done.push(result);
      results.push(result);
      process.stderr.write(`${variant.padEnd(10)} ${String(n).padStart(9)} done\n`);
    }
  }
  printTable(results);
  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    `${dir}actorDesign.json`,
    `${JSON.stringify({ node: process.version, results }, null, 2)}\n`,
  );
}

function printTable(results: readonly Result[]): void {
  const fmt = (x: number, digits = 1) =>
    x.toLocaleString('en-US', { maximumFractionDigits: digits });
  const rows = results.map((r) => {
    const perOcc = (r.armMs * 1000) / r.n;
    return [
      r.variant,
      fmt(r.n, 0),
      r.extrapolated
        ? `~${fmt(r.armMs / 1000, 0)} s (extrapolated, not run)`
        : `${fmt(r.armMs, 0)} ms`,
      r.extrapolated ? `~${fmt(perOcc, 0)}` : fmt(perOcc, 2),
      r.heapBytes === null ? 'n/a' : r.extrapolated ? '' : fmt(r.heapBytes, 0),
      fmt(r.liveActors, 0),
      r.runMs === undefined ? '' : fmt((r.runMs * 1000) / r.n, 2),
      r.peakLiveActors === undefined ? '' : fmt(r.peakLiveActors, 0),
    ];
  });
  const header = [
    'variant',
    'N',
    'arm total',
    'arm µs/occ',
    'heap B/occ',
    'live actors',
    'run-through µs/occ',
    'peak live',
  ];
  const lines = [header, header.map(() => '---'), ...rows].map(
    (cells) => `| ${cells.join(' | ')} |`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

const caseAt = process.argv.indexOf('--case');
if (caseAt >= 0) {
  const variant = process.argv[caseAt + 1] as Variant;
  const n = Number(process.argv[caseAt + 2]);
  await runCase(variant, Math.min(n, 500)); // warm the JIT so small sizes are not compile time
  process.stdout.write(`${JSON.stringify(await runCase(variant, n))}\n`);
  process.exit(0);
} else {
  orchestrate();
}
