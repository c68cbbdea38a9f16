import { statSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';
import { createScheduler, type Handlers } from '../../src/index.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import { TestClock } from '../../src/testing/index.js';

const DAY = 86_400_000;
const START = Date.parse('2026-03-02T00:00:00.000Z');
const clock = new TestClock(START);
const path = `/tmp/soak-heap-${process.pid}.db`;
const size = (p: string) => statSync(p, { throwIfNoEntry: false })?.size ?? 0;
const store = await sqliteStore({ path, clock });
const s = createScheduler<Handlers>({
  store,
  clock,
  calendar: { timeZone: 'UTC', exclusiveInstants: false },
  handlers: { noop: () => {} },
});
await s.ready;
for (let i = 0; i < 100; i++)
  await s.defineTask({
    id: `t${i}`,
    title: `t${i}`,
    handler: 'noop',
    recurrence: { everyMs: 600_000, anchor: new Date(START + 60_000 + i * 6000) },
  });
await s.start();
for (let day = 1; day <= 4; day++) {
  await clock.advanceAsync(DAY);
  for (let i = 0; i < 3; i++) await clock.settle();
  globalThis.gc!();
  globalThis.gc!();
  const fileMB = (size(path) + size(`${path}-wal`)) / 2 ** 20;
  console.log(
    'day',
    day,
    (process.memoryUsage().heapUsed / 2 ** 20).toFixed(1),
    'MB heap,',
    fileMB.toFixed(1),
    'MB file',
  );
  if (process.env.SNAPSHOT === '1' && (day === 2 || day === 4)) {
    writeHeapSnapshot(`/tmp/soak-day${day}.heapsnapshot`);
  }
}
process.exit(0);
