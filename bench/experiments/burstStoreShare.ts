// How much of a durable burst the store alone must spend, without any scheduler: the share
// that a faster scheduler could never remove. For `n` pending occurrences due at one instant
// (the log of the durable-burst scenario, written by PlanFlow's own SQLite store, so table,
// read model and indexes are the real ones), three ways of recording each one's trigger and
// outcome, per batch of 256 (a timer wake-up's claims): one commit of triggers, then one of
// outcomes, `synchronous = FULL`:
//   floor      the entry rows only, prebuilt (the durable-burst floor);
//   floor+rm   the same rows plus the read model's UPDATE of each occurrence, with the
//              store's own statement and prebuilt JSON;
//   store      `sqliteStore().append()`: one call of 256 triggers, then one of 256
//              outcomes, awaited (hashing, sealing, the inline projection, the commit).
// Each way runs on a fresh copy of the same file; medians of `rounds`, wall and CPU ms.
//   npx tsx bench/experiments/burstStoreShare.ts [n] [rounds]

import { copyFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { NewEvent } from '../../src/log/events.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import { pendingLog } from '../lib/pendingLog.js';
import { prepareRawInsert, type Row, rowsFor } from '../lib/rawRows.js';
import { scratchDir } from '../lib/scratch.js';
import { processCpuMs } from '../lib/serverCpu.js';
import { median } from '../lib/stats.js';
import { outcomeEvents } from '../scenarios/durableBurst.js';

const N = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const BATCH = 256;

type Way = (file: string) => Promise<void>;

const scratch = scratchDir();
try {
  const base = scratch.file('base.db');
  const pending = pendingLog(N, Date.now() + 3_600_000);
  const setup = await sqliteStore({ path: base, synchronous: 'FULL' });
  for (let i = 0; i < pending.length; i += 10_000) await setup.append(pending.slice(i, i + 10_000));
  await setup.close();
  const occurrences = pending.flatMap((e) =>
    e.type === 'occurrence.scheduled' ? [e.data.occurrence] : [],
  );
  const pairs = occurrences.map(outcomeEvents);
  const triggers: NewEvent[] = pairs.map((p) => p[0]);
  const outcomes: NewEvent[] = pairs.map((p) => p[1]);
  const allRows = await rowsFor([...pending, ...pairs.flat()]);
  const rows = allRows.slice(pending.length);
  const triggerRows = rows.filter((_, i) => i % 2 === 0);
  const outcomeRows = rows.filter((_, i) => i % 2 === 1);

  const openRaw = (file: string) => {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    return db;
  };

  const floor: Way = async (file) => {
    const db = openRaw(file);
    const insert = prepareRawInsert(db);
    const commit = db.transaction((chunk: readonly Row[]) => {
      for (const row of chunk) insert.run(...row);
    });
    for (let i = 0; i < N; i += BATCH) {
      commit(triggerRows.slice(i, i + BATCH));
      commit(outcomeRows.slice(i, i + BATCH));
    }
    db.close();
  };

  const floorWithReadModel =
    (withTask: boolean): Way =>
    async (file) => {
      const db = openRaw(file);
      const insert = withTask
        ? db.prepare(
            'INSERT INTO events (seq, id, type, time, stream, data, schema_version, prev_hash, hash, task_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          )
        : prepareRawInsert(db);
      const keys = db
        .prepare<[], [string, number]>('SELECT id, first_seq FROM occurrences')
        .raw()
        .all();
      const keyOf = new Map(keys);
      const triggered = db.prepare(
        'UPDATE occurrences SET state = ?, execution = ?, first_at = ?, retries_left = ? WHERE first_seq = ?',
      );
      const settled = db.prepare(
        'UPDATE occurrences SET state = ?, execution = ?, first_at = ?, retries_left = ?, live = ? WHERE first_seq = ?',
      );
      const at = new Date().toISOString();
      const running = JSON.stringify({ attempt: 0, steps: [{ kind: 'triggered', at }] });
      const done = JSON.stringify({ attempt: 0, steps: [{ kind: 'completed', at }] });
      const commit = db.transaction((chunk: readonly Row[], first: number, outcome: boolean) => {
        for (let j = 0; j < chunk.length; j++) {
          const occurrence = occurrences[first + j]!;
          if (withTask) insert.run(...chunk[j]!, occurrence.taskId);
          else insert.run(...chunk[j]!);
          const key = keyOf.get(occurrence.id)!;
          if (outcome) settled.run('completed', done, at, 0, 0, key);
          else triggered.run('triggered', running, at, 0, key);
        }
      });
      for (let i = 0; i < N; i += BATCH) {
        commit(triggerRows.slice(i, i + BATCH), i, false);
        commit(outcomeRows.slice(i, i + BATCH), i, true);
      }
      db.close();
    };

  const store: Way = async (file) => {
    const log = await sqliteStore({ path: file, synchronous: 'FULL' });
    for (let i = 0; i < N; i += BATCH) {
      await log.append(triggers.slice(i, i + BATCH));
      await log.append(outcomes.slice(i, i + BATCH));
    }
    await log.close();
  };

  const ways: [string, Way][] = [
    ['floor', floor],
    ['floor+rm', floorWithReadModel(false)],
    ['floor+rm+task', floorWithReadModel(true)],
    ['store', store],
  ];
  // BURST_WAYS=store,floor runs only those (e.g. to profile one).
  const only = process.env.BURST_WAYS?.split(',');
  if (only !== undefined)
    ways.splice(0, ways.length, ...ways.filter(([name]) => only.includes(name)));
  const wall = new Map<string, number[]>(ways.map(([name]) => [name, []]));
  const cpu = new Map<string, number[]>(ways.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, way] of ways) {
      const file = scratch.file(`${name}-${round}.db`);
      copyFileSync(base, file);
      const cpuBefore = processCpuMs();
      const started = performance.now();
      await way(file);
      wall.get(name)!.push(performance.now() - started);
      cpu.get(name)!.push(processCpuMs() - cpuBefore);
    }
  }
  const floorMs = median(wall.get(ways[0]![0])!);
  console.log(`n=${N}, batch ${BATCH}, ${ROUNDS} rounds, medians`);
  for (const [name] of ways) {
    const w = median(wall.get(name)!);
    console.log(
      `${name.padEnd(14)} wall ${w.toFixed(0).padStart(5)} ms  cpu ${median(cpu.get(name)!).toFixed(0).padStart(5)} ms  ${(w / floorMs).toFixed(2)}× first  [${wall
        .get(name)!
        .map((x) => x.toFixed(0))
        .join(' ')}]`,
    );
  }
} finally {
  scratch.remove();
}
