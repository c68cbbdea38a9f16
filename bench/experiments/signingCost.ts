/**
 * What do signed checkpoints cost? Measures, on this machine:
 *
 * - the Ed25519 signature of one checkpoint and its verification (µs, median of 5 runs of
 *   2 000 each), and reading the key id of a public key;
 * - SQLite appends with `synchronous: 'FULL'`, without a key, with the default cadence
 *   (1 000 entries / 60 s) and with a checkpoint after every commit (`entries: 1`, the
 *   tightest guard: each commit also writes and fsyncs the head file):
 *   - awaited one-entry appends, one commit (and fsync) each;
 *   - 10 000 one-entry appends made in one tick, i.e. one group commit;
 * - `verify({ publicKey })` against plain `verify()` of the resulting log.
 *
 * The variants alternate within each round (3 rounds, medians reported) so drift on the
 * shared machine spreads over all of them. Files live under `.tmp/` on the project's disk
 * (not a tmpfs), since fsync cost is the point.
 *
 * Run: `npx tsx bench/experiments/signingCost.ts` (figures on stdout).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isSignedBy, signCheckpoint } from '../../src/log/checkpoint.js';
import type { NewEvent } from '../../src/log/events.js';
import { keyIdOf, parseSigningKey } from '../../src/log/signingKey.js';
import { sqliteStore } from '../../src/sqlite/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
mkdirSync(join(root, '.tmp'), { recursive: true });
const dir = mkdtempSync(join(root, '.tmp', 'signing-cost-'));

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const signer = parseSigningKey('bench', 'key', privateKey);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const event = (i: number): NewEvent => ({
  type: 'scheduler.started',
  stream: 'scheduler',
  data: { instanceId: `bench-${i}` },
});

function crypto(): void {
  const head = { seq: 123_456, hash: 'ab'.repeat(32) };
  const runs = { sign: [] as number[], verify: [] as number[], keyId: [] as number[] };
  for (let run = 0; run < 5; run++) {
    let t = performance.now();
    let checkpoint = signCheckpoint(signer, head, Date.now());
    for (let i = 0; i < 2000; i++) checkpoint = signCheckpoint(signer, head, Date.now());
    runs.sign.push(((performance.now() - t) * 1000) / 2001);
    t = performance.now();
    for (let i = 0; i < 2000; i++) isSignedBy(checkpoint, publicKey, signer.keyId);
    runs.verify.push(((performance.now() - t) * 1000) / 2000);
    t = performance.now();
    for (let i = 0; i < 2000; i++) keyIdOf(publicKey);
    runs.keyId.push(((performance.now() - t) * 1000) / 2000);
  }
  console.log(
    `checkpoint: sign ${median(runs.sign).toFixed(1)} µs, verify ${median(runs.verify).toFixed(1)} µs, key id ${median(runs.keyId).toFixed(1)} µs`,
  );
}

type Variant = 'no key' | 'key, default cadence' | 'key, every commit';
const VARIANTS: readonly Variant[] = ['no key', 'key, default cadence', 'key, every commit'];

function open(path: string, variant: Variant) {
  return sqliteStore({
    path,
    synchronous: 'FULL',
    ...(variant === 'no key' ? {} : { signingKey: privateKey }),
    ...(variant === 'key, every commit' ? { checkpointEvery: { entries: 1 } } : {}),
  });
}

/** Appends per second: `awaited` one commit each, else all in one tick. */
async function appends(variant: Variant, awaited: boolean, n: number): Promise<number> {
  const path = join(dir, `${variant.replace(/\W+/g, '-')}-${awaited ? 'awaited' : 'tick'}.db`);
  rmSync(path, { force: true });
  rmSync(`${path}.head`, { force: true });
  const store = await open(path, variant);
  await store.append([event(-1)]);
  const t = performance.now();
  if (awaited) {
    for (let i = 0; i < n; i++) await store.append([event(i)]);
  } else {
    await Promise.all(Array.from({ length: n }, (_, i) => store.append([event(i)])));
  }
  const seconds = (performance.now() - t) / 1000;
  await store.close();
  return n / seconds;
}

async function verifyCost(): Promise<void> {
  const path = join(dir, 'verify.db');
  const store = await sqliteStore({ path, synchronous: 'NORMAL', signingKey: privateKey });
  for (let i = 0; i < 100; i++) {
    await Promise.all(Array.from({ length: 1000 }, (_, k) => store.append([event(i * 1000 + k)])));
  }
  const plain: number[] = [];
  const keyed: number[] = [];
  for (let run = 0; run < 3; run++) {
    let t = performance.now();
    await store.verify();
    plain.push(performance.now() - t);
    t = performance.now();
    const result = await store.verify({ publicKey });
    keyed.push(performance.now() - t);
    if (!result.ok) throw new Error(result.reason);
  }
  const checkpoints = (await store.checkpoints()).length;
  await store.close();
  console.log(
    `verify of 100 000 entries (${checkpoints} checkpoints): ${median(plain).toFixed(0)} ms plain, ${median(keyed).toFixed(0)} ms with the public key`,
  );
}

try {
  crypto();
  for (const [label, awaited, n] of [
    ['awaited 1-entry appends', true, 2000],
    ['10 000 appends in one tick', false, 10_000],
  ] as const) {
    const rates = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
    for (let round = 0; round < 3; round++) {
      for (const variant of VARIANTS) rates.get(variant)!.push(await appends(variant, awaited, n));
    }
    const line = VARIANTS.map((v) => `${v} ${Math.round(median(rates.get(v)!))}/s`).join(', ');
    console.log(`${label}, SQLite FULL: ${line}`);
  }
  await verifyCost();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
