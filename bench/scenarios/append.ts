import type { EventStore } from '../../src/log/EventStore.js';
import type { NewEvent } from '../../src/log/events.js';
import { memoryStore } from '../../src/log/memoryStore.js';
import { type SynchronousMode, sqliteStore } from '../../src/sqlite/index.js';
import type { ChildOutput, JobParams } from '../lib/job.js';
import { openRawDatabase, prepareRawInsert, type Row, rowsFor } from '../lib/rawRows.js';
import { sampleEvents } from '../lib/sampleLog.js';
import { scratchDir } from '../lib/scratch.js';

/**
 * How appends arrive: `batch` — one call of `batch` events, awaited, then the next;
 * `group` — `batch` one-event calls issued in the same turn, then awaited together (the
 * store's group commit folds them into one transaction); `single` — one event per call,
 * each awaited (a transaction each). The raw baseline commits `batch` rows per transaction.
 */
type AppendMode = 'batch' | 'group' | 'single';

async function appendAll(
  store: EventStore,
  events: readonly NewEvent[],
  mode: AppendMode,
  batch: number,
) {
  if (mode === 'single') {
    for (const event of events) await store.append([event]);
    return;
  }
  for (let i = 0; i < events.length; i += batch) {
    const chunk = events.slice(i, i + batch);
    if (mode === 'batch') await store.append(chunk);
    else await Promise.all(chunk.map((event) => store.append([event])));
  }
}

function insertRaw(
  rows: readonly Row[],
  path: string,
  synchronous: SynchronousMode,
  batch: number,
): number {
  const db = openRawDatabase(path, synchronous);
  const insert = prepareRawInsert(db);
  const insertMany = db.transaction((chunk: readonly Row[]) => {
    for (const row of chunk) insert.run(...row);
  });
  const started = performance.now();
  for (let i = 0; i < rows.length; i += batch) insertMany(rows.slice(i, i + batch));
  const ms = performance.now() - started;
  db.close();
  return ms;
}

/**
 * Append: `n` events of a realistic log into a fresh store. PlanFlow subjects pay for
 * validation, serialisation, ids, the hash chain and the unique-trigger check; the raw
 * baseline inserts the same rows, already built, into the same schema.
 */
export async function runAppend(subject: string, params: JobParams): Promise<ChildOutput> {
  const n = Number(params.n);
  const synchronous = String(params.synchronous) as SynchronousMode;
  const mode = String(params.mode) as AppendMode;
  const batch = Number(params.batch);
  const events = sampleEvents(n);
  const scratch = scratchDir();
  try {
    let ms: number;
    if (subject === 'raw-sqlite') {
      const rows = await rowsFor(events);
      ms = insertRaw(rows, scratch.file('raw.db'), synchronous, mode === 'single' ? 1 : batch);
    } else {
      const store =
        subject === 'planflow-memory'
          ? memoryStore()
          : subject === 'planflow-sqlite'
            ? await sqliteStore({ path: scratch.file('log.db'), synchronous })
            : undefined;
      if (store === undefined) throw new Error(`bench: unknown append subject "${subject}"`);
      const started = performance.now();
      await appendAll(store, events, mode, batch);
      ms = performance.now() - started;
      const head = await store.head();
      await store.close();
      if (head.seq !== n)
        throw new Error(`bench: expected ${n} entries, the store has ${head.seq}`);
    }
    return {
      metrics: { eventsPerSec: (n * 1000) / ms, usPerEvent: (ms * 1000) / n, totalMs: ms },
      notes: [],
    };
  } finally {
    scratch.remove();
  }
}
