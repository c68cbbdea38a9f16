/**
 * A writer in a process of its own for `pgArchive.ts`: appends awaited one-entry batches to
 * the log in schema argv[3] at argv[2] until SIGTERM, then prints how many it made and the
 * p99 and slowest latency (ms) as JSON. Its own event loop does nothing else, so what it
 * waits for is the server: the append lock, and its share of the machine.
 */
import { postgresStore } from '../../src/postgres/index.js';

const [url, schema] = process.argv.slice(2);
if (url === undefined || schema === undefined) throw new Error('usage: <url> <schema>');
const store = await postgresStore({ connectionString: url, schema, verifyOnOpen: false });
const latencies: number[] = [];
let running = true;
process.on('SIGTERM', () => {
  running = false;
});
process.stdout.write('ready\n');
for (let i = 0; running; i++) {
  const t = performance.now();
  await store.append([
    { type: 'scheduler.started', stream: 'scheduler', data: { instanceId: `probe${i}` } },
  ]);
  latencies.push(performance.now() - t);
}
await store.close();
const sorted = latencies.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    appends: sorted.length,
    p99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))],
    max: sorted[sorted.length - 1],
  })}\n`,
);
