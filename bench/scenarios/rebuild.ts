import Database from 'better-sqlite3';
import { MemoryProjection } from '../../src/log/MemoryProjection.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import { cachedLog } from '../lib/cachedLog.js';
import { settledHeapBytes } from '../lib/heap.js';
import type { ChildOutput, JobParams } from '../lib/job.js';

/** The physical floor: every row read in order and its payload parsed, nothing built. */
function rawIterateParse(path: string): number {
  const db = new Database(path, { readonly: true });
  const rows = db
    .prepare<[], [number, string, string, string, string, string, number, string, string]>(
      'SELECT seq, id, type, time, stream, data, schema_version, prev_hash, hash FROM events ORDER BY seq',
    )
    .raw();
  let count = 0;
  for (const row of rows.iterate()) {
    const data: unknown = JSON.parse(row[5]);
    if (data !== null) count++;
  }
  db.close();
  return count;
}

/**
 * Rebuild: the read model from an SQLite log of `events` entries. `planflow-fold` is
 * `EventLog.fold` over a store opened without verification (the rebuild alone);
 * `planflow-open-verified` adds the hash-chain check a default open does first.
 */
export async function runRebuild(subject: string, params: JobParams): Promise<ChildOutput> {
  const events = Number(params.events);
  const path = await cachedLog(events);
  const started = performance.now();
  let folded: number;
  let keep: unknown;
  if (subject === 'raw-iterate-parse') {
    folded = rawIterateParse(path);
  } else if (subject === 'planflow-fold' || subject === 'planflow-open-verified') {
    const store = await sqliteStore({
      path,
      verifyOnOpen: subject === 'planflow-open-verified' ? 'full' : false,
    });
    const projection = new MemoryProjection();
    for await (const batch of store.read({ batchSize: 500 })) projection.apply(batch);
    folded = (await store.head()).seq;
    keep = projection;
    await store.close();
  } else {
    throw new Error(`bench: unknown rebuild subject "${subject}"`);
  }
  const totalMs = performance.now() - started;
  const heapUsedMB = settledHeapBytes() / 2 ** 20;
  const notes = folded === events ? [] : [`folded ${folded} of ${events} events`];
  if (keep === undefined && subject !== 'raw-iterate-parse') notes.push('no model');
  return { metrics: { eventsPerSec: (events * 1000) / totalMs, totalMs, heapUsedMB }, notes };
}
