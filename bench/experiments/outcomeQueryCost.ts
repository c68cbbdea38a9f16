// What an `outcome` filter costs the SQLite store next to a `state` filter: the outcome is
// read from the state column where the state means it, and from the record's JSON only for
// rows a follow-up moved on. Figures go to docs/storage.md.
//
// Run: npx tsx bench/experiments/outcomeQueryCost.ts [occurrences=100000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import { parseOccurrenceQuery } from '../../src/domain/validateOccurrenceQuery.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { type NewEvent, streams } from '../../src/log/events.js';
import { sqliteStore } from '../../src/sqlite/index.js';

const N = Number(process.argv[2] ?? 100_000);
const T0 = Date.parse('2026-03-02T08:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'planflow-outcome-'));
const store = await sqliteStore({ path: join(dir, 'log.db'), synchronous: 'NORMAL' });
const task = parseTask(
  { id: 't', title: 't', recurrence: { everyMs: 60_000 } },
  undefined,
  new Date(T0),
);
await store.append([{ type: 'task.defined', stream: streams.task('t'), data: { task } }]);

// A recurring series: each run completes (every 10th fails) and is followed by the next.
let previous = makeOccurrence({ taskId: 't', cause: 'initial', scheduledFor: new Date(T0) });
await store.append([
  {
    type: 'occurrence.scheduled',
    stream: streams.occurrence(previous.id),
    data: { occurrence: previous },
  },
]);
const BATCH = 500;
let events: NewEvent[] = [];
for (let i = 1; i <= N; i++) {
  const id = previous.id;
  const next = makeOccurrence({
    taskId: 't',
    cause: 'recurrence',
    scheduledFor: new Date(T0 + i * 60_000),
  });
  const stream = streams.occurrence(id);
  events.push(
    {
      type: 'occurrence.triggered',
      stream,
      data: { occurrenceId: id, attempt: 0, idempotencyKey: id, lateByMs: 0 },
    },
    i % 10 === 0
      ? {
          type: 'occurrence.failed',
          stream,
          data: { occurrenceId: id, durationMs: 1, error: { name: 'Error', message: 'x' } },
        }
      : { type: 'occurrence.completed', stream, data: { occurrenceId: id, durationMs: 1 } },
    {
      type: 'occurrence.scheduled',
      stream: streams.occurrence(next.id),
      data: { occurrence: next },
    },
    { type: 'occurrence.recurred', stream, data: { occurrenceId: id, nextId: next.id } },
  );
  previous = next;
  if (events.length >= BATCH * 4) {
    await store.append(events);
    events = [];
  }
}
if (events.length > 0) await store.append(events);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;
async function ms(query: Record<string, unknown>): Promise<string> {
  const valid = parseOccurrenceQuery({ limit: 1000, ...query });
  const samples: number[] = [];
  let count = 0;
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    count = (await store.queryRecords(valid)).items.length;
    samples.push(performance.now() - t0);
  }
  return `${median(samples).toFixed(2)} ms (${count} items)`;
}

console.log(`${N} occurrences, first page of 1000:`);
for (const [name, query] of [
  ['state: recurred', { state: 'recurred' }],
  ['outcome: completed', { outcome: 'completed' }],
  ['outcome: failed', { outcome: 'failed' }],
  ['state: done (none match: a full scan)', { state: 'done' }],
  ['outcome: missed (none match: a full scan)', { outcome: 'missed' }],
  ['taskId + outcome: completed', { taskId: 't', outcome: 'completed' }],
] as const) {
  console.log(`  ${name.padEnd(44)} ${await ms(query)}`);
}
await store.close();
rmSync(dir, { recursive: true, force: true });
