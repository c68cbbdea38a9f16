/**
 * Durable scheduling: a SQLite log that survives a restart.
 *
 * A first scheduler runs for a few seconds and stops. While it is "down", an occurrence of a
 * recurring job and a one-shot report come due. A NEW scheduler opened on the same file
 * rebuilds its read model from the log alone, re-arms what is still in the future, and
 * finds what was missed: the recurring job is recovered (its next run is scheduled) and the
 * report is retried per its policy. Finally the hash chain is verified.
 *
 * Run: `npx tsx examples/durable.ts [path.db]` (ends by itself after about 10 seconds).
 */
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  type Clock,
  createScheduler,
  type Handlers,
  type Occurrence,
  systemClock,
} from '../src/index.js';
import { sqliteStore } from '../src/sqlite/index.js';

export type DurableOptions = Readonly<{
  /** The log file (replaced at start). @default ./planflow-durable.db */
  path?: string;
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
  print?: (line: string) => void;
}>;

export type DurableResult = Readonly<{
  /** The restarted scheduler's read model equalled the first one's before it started. */
  rebuilt: boolean;
  /** Occurrences the restarted scheduler armed on `start()`. */
  armedAfterRestart: number;
  /** `taskId cause state` of every execution at the end. */
  executions: readonly string[];
  verified: boolean;
}>;

/** Runs the restart scenario on a SQLite file. */
export async function runDurable(options: DurableOptions = {}): Promise<DurableResult> {
  const path = options.path ?? 'planflow-durable.db';
  const clock = options.clock ?? systemClock;
  const print = options.print ?? ((line: string) => console.log(line));
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  const t0 = clock.now();
  const at = (ms: number) => new Date(t0 + ms).toISOString();
  const offset = (ms: number) => `+${((ms - t0) / 1000).toFixed(1)}s`;
  const since = () => offset(clock.now());
  // Handlers are code, not data: every process registers them again under the same names.
  const handlers: Handlers = {
    work: (occurrence, { task, attempt }) =>
      print(`${since()}  ran ${task.id} (${occurrence.cause}, attempt ${attempt})`),
  };
  // A short grace so the few seconds of downtime below count as "missed".
  const schedulerOptions = { clock, handlers, graceMs: 1_000 };

  // ── first process ─────────────────────────────────────────────────────────────────────
  const store = await sqliteStore({ path, clock });
  const first = createScheduler({ ...schedulerOptions, store });
  const work = { handler: 'work' };
  await first.defineTask({
    ...work,
    id: 'backup',
    title: 'Back up',
    recurrence: { everyMs: 2_000, anchor: at(1_000) },
  });
  await first.defineTask({
    ...work,
    id: 'report',
    title: 'Report',
    startAt: at(4_500),
    retry: { maxRetries: 1, delayMs: 1_000 },
  });
  await first.defineTask({ ...work, id: 'archive', title: 'Archive', startAt: at(9_500) });
  await first.start();
  await sleep(3_500);
  await first.stop();
  const before = (await first.listExecutions()).items;
  await store.close();
  print(`${since()}  stopped; the process is "down" for 3.5 s\n`);
  await sleep(3_500);

  // ── second process: a new scheduler on the same file ─────────────────────────────────
  const reopened = await sqliteStore({ path, clock }); // verifies the hash chain on open
  const second = createScheduler({ ...schedulerOptions, store: reopened });
  await second.ready;
  const rebuilt = JSON.stringify((await second.listExecutions()).items) === JSON.stringify(before);
  print(
    `${since()}  reopened: ${second.listTasks().length} tasks and ${before.length} executions rebuilt from the log (${rebuilt ? 'identical' : 'DIFFERENT'})`,
  );
  // Occurrences as recorded (before the restart, and from the events since), to name them.
  const known = new Map<string, Occurrence>();
  for (const o of (await second.listOccurrences()).items) known.set(o.id, o);
  second.events.subscribe((event) => {
    if (event.type === 'occurrence.scheduled') {
      known.set(event.data.occurrence.id, event.data.occurrence);
    } else if (event.type === 'occurrence.missed') {
      const taskId = known.get(event.data.occurrenceId)?.taskId;
      print(`${since()}  missed ${taskId} by ${(event.data.lateByMs / 1000).toFixed(1)} s`);
    } else if (event.type === 'occurrence.recovered' || event.type === 'occurrence.retried') {
      const id = 'replacementId' in event.data ? event.data.replacementId : event.data.retryId;
      const next = known.get(id);
      const when = next === undefined ? '?' : offset(Date.parse(next.scheduledFor));
      print(`${since()}  ${event.type}: ${next?.taskId} again at ${when}`);
    }
  });
  await second.start();
  const armedAfterRestart = second.armedCount;
  print(`${since()}  started again; ${armedAfterRestart} occurrences armed`);
  await sleep(3_000);
  await second.stop();

  print('\nExecutions, as the log tells them:');
  const executions = (await second.listExecutions()).items.map((e) => {
    const line = `${e.taskId} ${e.cause} ${e.state}`;
    print(`  ${line.padEnd(28)}${offset(Date.parse(e.scheduledFor))}`);
    return line;
  });
  const verified = await second.verify();
  print(verified.ok ? `\nverify: ok (${verified.entries} entries)` : '\nverify: BROKEN');
  await reopened.close();
  return { rebuilt, armedAfterRestart, executions, verified: verified.ok };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runDurable(process.argv[2] ? { path: process.argv[2] } : {});
  process.exitCode = result.verified && result.rebuilt ? 0 : 1;
}
