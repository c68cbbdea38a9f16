/**
 * Quick start: an in-memory scheduler, two tasks, a few seconds of real time, then the
 * history the log recorded.
 *
 * A one-shot reminder fires once; a recurring job fires every two seconds. Nothing is
 * written to disk: the memory store is for tests and for apps that may forget everything on
 * restart (see examples/durable.ts for a log that survives one).
 *
 * Run: `npx tsx examples/quickstart.ts` (ends by itself after about 5 seconds).
 */
import { pathToFileURL } from 'node:url';
import { type Clock, createScheduler, memoryStore, systemClock } from '../src/index.js';

export type QuickstartOptions = Readonly<{
  /** Time source; tests pass a `TestClock`. @default systemClock */
  clock?: Clock;
  /** Waits on the clock; tests pass one that advances their `TestClock`. */
  sleep?: (ms: number) => Promise<void>;
  print?: (line: string) => void;
}>;

/** One handler run as the example saw it. */
export type Fired = Readonly<{ taskId: string; atMs: number; attempt: number }>;

/** Runs the quick start; resolves with every handler run, in order. */
export async function runQuickstart(options: QuickstartOptions = {}): Promise<readonly Fired[]> {
  const clock = options.clock ?? systemClock;
  const print = options.print ?? ((line: string) => console.log(line));
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const t0 = clock.now();
  const since = (ms: number) => `+${((ms - t0) / 1000).toFixed(1)}s`;
  const fired: Fired[] = [];

  // 1. A scheduler over a log. Handlers are registered by name; tasks refer to them.
  const scheduler = createScheduler({
    store: memoryStore({ clock }),
    clock,
    handlers: {
      remind: (occurrence, { task, attempt }) => {
        fired.push({ taskId: occurrence.taskId, atMs: clock.now(), attempt });
        print(`${since(clock.now())}  ${task.title}`);
      },
    },
  });

  // 2. Tasks: untrusted input, validated (a typo in a field name is refused, not ignored).
  await scheduler.defineTask({
    id: 'stretch',
    title: 'Time to stretch',
    handler: 'remind',
    startAt: new Date(t0 + 1_000).toISOString(),
  });
  await scheduler.defineTask({
    id: 'water',
    title: 'Drink some water',
    handler: 'remind',
    recurrence: { everyMs: 2_000, anchor: new Date(t0 + 1_500).toISOString() },
  });

  // 3. Start: every pending occurrence is armed on the clock.
  await scheduler.start();
  print(`started; ${scheduler.armedCount} occurrences armed`);
  await sleep(5_000);
  await scheduler.stop();

  // 4. What happened, read back from the log.
  print('\nHistory of "water":');
  for (const event of (await scheduler.history({ taskId: 'water' })).items) {
    print(`  #${String(event.seq).padStart(2)} ${since(Date.parse(event.time))} ${event.type}`);
  }
  print('\nExecutions:');
  for (const e of (await scheduler.listExecutions()).items) {
    print(`  ${e.taskId.padEnd(8)} ${e.scheduledFor}  ${e.cause.padEnd(10)} ${e.state}`);
  }
  return fired;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runQuickstart();
}
