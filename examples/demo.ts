/**
 * The main job (`npm start`): a short, real-time tour of PlanFlow on a SQLite log.
 *
 * It defines three tasks on `./planflow-demo.db`, shows what fires as it happens (a plain
 * reminder, a handler that fails once and is retried, a recurring job), pauses and resumes,
 * (an occurrence missed during the pause is recovered), stops gracefully, then reopens the file, prints the history rebuilt from the log and the
 * result of verifying its hash chain. It ends by itself in about 15 seconds.
 *
 * Run: `npm start` (or `npx tsx examples/demo.ts [path.db]`).
 */
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  type Clock,
  createScheduler,
  EventLog,
  parseOccurrenceQuery,
  readAllPages,
  type StoredEvent,
  systemClock,
} from '../src/index.js';
import { sqliteStore } from '../src/sqlite/index.js';

export type DemoOptions = Readonly<{
  /** Where the log is written (replaced at start). @default ./planflow-demo.db */
  path?: string;
  clock?: Clock;
  /** Waits on the clock; tests pass one that advances a TestClock. */
  sleep?: (ms: number) => Promise<void>;
  print?: (line: string) => void;
}>;

/** Runs the demo; resolves with the verify result. */
export async function runDemo(
  options: DemoOptions = {},
): Promise<{ ok: boolean; entries: number }> {
  const path = options.path ?? 'planflow-demo.db';
  const clock = options.clock ?? systemClock;
  const print = options.print ?? ((line: string) => console.log(line));
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });

  const t0 = clock.now();
  const at = (ms: number) => new Date(t0 + ms).toISOString();
  const since = () => `+${((clock.now() - t0) / 1000).toFixed(1)}s`.padStart(7);
  let failuresLeft = 1;

  const store = await sqliteStore({ path, clock });
  const scheduler = createScheduler({
    store,
    clock,
    // A short grace so the pause below makes one occurrence late enough to be recovered.
    graceMs: 1_000,
    handlers: {
      sendReport: async (_occurrence, { attempt, idempotencyKey }) => {
        if (failuresLeft-- > 0) throw new Error('mail server unavailable');
        print(`${since()}  report sent (attempt ${attempt}, key ${idempotencyKey.slice(-8)})`);
      },
      syncInbox: () => print(`${since()}  inbox synced`),
    },
  });
  const titles = new Map<string, string>();
  const taskOf = new Map<string, string>();
  scheduler.events.subscribe((event) => {
    if (event.type === 'task.defined') titles.set(event.data.task.id, event.data.task.title);
    if (event.type === 'occurrence.scheduled') {
      taskOf.set(event.data.occurrence.id, event.data.occurrence.taskId);
    }
    print(
      `${since()}  #${String(event.seq).padStart(3)} ${event.type.padEnd(22)} ${describe(event, titles, taskOf)}`,
    );
  });

  print(`PlanFlow demo — log: ${path}\n`);
  await scheduler.defineTask({ id: 'stretch', title: 'Stretch reminder', startAt: at(1_000) });
  await scheduler.defineTask({
    id: 'report',
    title: 'Send the daily report',
    handler: 'sendReport',
    startAt: at(2_000),
    retry: { maxRetries: 2, delayMs: 1_200 },
  });
  await scheduler.defineTask({
    id: 'inbox',
    title: 'Sync the inbox',
    handler: 'syncInbox',
    recurrence: { everyMs: 2_000, anchor: at(1_500) },
  });
  await scheduler.start();
  await sleep(6_000);
  print(`${since()}  -- pause: timers disarmed, nothing fires --`);
  await scheduler.pause();
  await sleep(3_000);
  print(`${since()}  -- start: future occurrences re-armed, missed ones checked --`);
  await scheduler.start();
  await sleep(3_000);
  await scheduler.stop();
  await store.close();

  print('\nReopening the file and rebuilding from the log alone:\n');
  const reopened = await sqliteStore({ path, clock });
  const log = await EventLog.open(reopened);
  for (const task of log.model.listTasks()) {
    print(`${task.title}`);
    const runs = await readAllPages((cursor) =>
      log.queryRecords(parseOccurrenceQuery({ taskId: task.id, cursor })),
    );
    for (const { execution: e } of runs) {
      const outcome = e.outcome === undefined ? '' : ` (${e.outcome})`;
      const error = e.error === undefined ? '' : ` — ${e.error.message}`;
      print(
        `  ${e.scheduledFor}  ${e.cause.padEnd(10)} attempt ${e.attempt}  ${e.state}${outcome}${error}`,
      );
    }
  }
  const verified = await log.verify();
  print(
    verified.ok
      ? `\nverify: ok — ${verified.entries} entries, hash chain intact (head ${verified.headHash.slice(0, 12)}…)`
      : `\nverify: BROKEN at entry #${verified.firstBadSeq}: ${verified.reason}`,
  );
  await reopened.close();
  return { ok: verified.ok, entries: verified.entries };
}

function describe(
  event: StoredEvent,
  titles: ReadonlyMap<string, string>,
  taskOf: ReadonlyMap<string, string>,
): string {
  const d = event.data as Record<string, unknown>;
  const occurrenceId =
    event.type === 'occurrence.scheduled'
      ? event.data.occurrence.id
      : typeof d.occurrenceId === 'string'
        ? d.occurrenceId
        : undefined;
  if (occurrenceId === undefined) return '';
  const taskId = taskOf.get(occurrenceId);
  const title = taskId === undefined ? '' : (titles.get(taskId) ?? taskId);
  const error = event.type === 'occurrence.failed' ? ` — ${event.data.error.message}` : '';
  return `${title}${error}`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runDemo({ ...(process.argv[2] ? { path: process.argv[2] } : {}) });
  process.exitCode = result.ok ? 0 : 1;
}
