// What a scheduler's instance lease costs: one acquisition at start and one renewal every
// third of leaseTtlMs (5 s by default), on SQLite at FULL and NORMAL and in memory. Figures
// go to docs/storage.md ("One running scheduler per file").
//
// Run: npx tsx bench/experiments/leaseCost.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InstanceLeases } from '../../src/log/InstanceLeases.js';
import { memoryLeases } from '../../src/log/memoryLeases.js';
import { sqliteStore } from '../../src/sqlite/index.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;

/** µs per awaited call of `fn`, the median of `rounds` rounds of `n` calls. */
async function perCall(fn: (i: number) => Promise<unknown>, n: number, rounds = 7) {
  for (let i = 0; i < n; i++) await fn(i);
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn(i);
    samples.push(((performance.now() - t0) * 1000) / n);
  }
  return median(samples);
}

async function measure(name: string, leases: InstanceLeases, n: number) {
  const holder = { instanceId: 'bench', pid: process.pid, host: hostname() };
  // Acquire: one BEGIN IMMEDIATE (read, decide, write) on SQLite; taking back its own record.
  const acquireUs = await perCall(
    (i) => leases.acquire({ ...holder, nowMs: Date.now() + i, ttlMs: 15_000 }),
    n,
  );
  const renewUs = await perCall((i) => leases.renew('bench', Date.now() + i, 15_000), n);
  console.log(
    `${name.padEnd(16)} acquire ${acquireUs.toFixed(1).padStart(8)} µs   renew ${renewUs.toFixed(1).padStart(8)} µs`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'planflow-lease-bench-'));
try {
  await measure('memory', memoryLeases(), 20_000);
  for (const synchronous of ['NORMAL', 'FULL'] as const) {
    const store = await sqliteStore({ path: join(dir, `${synchronous}.db`), synchronous });
    await measure(`sqlite ${synchronous}`, store.leases!, synchronous === 'FULL' ? 200 : 2_000);
    await store.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
