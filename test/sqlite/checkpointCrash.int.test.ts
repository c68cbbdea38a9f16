import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptLogError } from '../../src/domain/errors.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import { type LineChild, spawnLineChild } from '../helpers/lineChild.js';
import { ed25519Pair } from '../helpers/signingKeys.js';

const CHILD = join(import.meta.dirname, '..', 'fixtures', 'checkpointChild.ts');
const LIVES = 8;
const dir = mkdtempSync(join(tmpdir(), 'planflow-checkpoint-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const keys = ed25519Pair();
const keyFile = join(dir, 'signing.pem');
writeFileSync(keyFile, keys.privatePem, { mode: 0o600 });

type Life = LineChild & { acked: () => number };

/** Starts the child; `acked()` is the highest seq it reported as appended so far. */
function start(path: string, killAfterAcks: number): Life {
  let acked = 0;
  let acks = 0;
  const life = spawnLineChild(
    CHILD,
    [path, keyFile],
    (line, child) => {
      const seq = Number(/^acked (\d+)$/.exec(line)?.[1]);
      if (!Number.isInteger(seq)) return;
      acked = Math.max(acked, seq);
      // The kill lands a random few microseconds to milliseconds into the next append: while
      // it commits, signs, writes the head file, or closes and reopens.
      if (++acks === killAfterAcks) setTimeout(() => child.kill('SIGKILL'), Math.random() * 4);
    },
    { mustBeKilled: true },
  );
  return { ...life, acked: () => acked };
}

/** What a reader finds after a crash: the open's own checks, then verify with the public key. */
async function inspect(path: string) {
  const store = await sqliteStore({ path, readOnly: true });
  try {
    return {
      head: await store.head(),
      verified: await store.verify({ publicKey: keys.publicKey }),
    };
  } finally {
    await store.close();
  }
}

describe('signed checkpoints under SIGKILL', () => {
  it(`lose no acknowledged entry and no signature across ${LIVES} kills mid-checkpoint`, async () => {
    const path = join(dir, 'crash.db');
    let lastAcked = 0;
    for (let life = 0; life < LIVES; life++) {
      const current = start(path, 3 + Math.floor(Math.random() * 25));
      await current.exit;
      expect(current.acked()).toBeGreaterThan(lastAcked);
      lastAcked = current.acked();
      const { head, verified } = await inspect(path);
      // Every acknowledged entry is there, and signed: the checkpoint and the head file were
      // written before the append resolved.
      expect(head.seq).toBeGreaterThanOrEqual(lastAcked);
      expect(verified).toMatchObject({ ok: true, entries: head.seq });
      expect(verified.ok && verified.signedUpTo).toBeGreaterThanOrEqual(lastAcked);
    }
  });

  it('reports the entries a lost -wal took after a kill, from the head file', async () => {
    const path = join(dir, 'wal.db');
    const first = start(path, 5);
    await first.exit;
    // A writer's close merges the WAL into the file (appending nothing); the next life writes
    // to a fresh WAL.
    await (await sqliteStore({ path })).close();
    const before = await inspect(path);
    const second = start(path, 8);
    await second.exit;
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });
    const error = await sqliteStore({ path, readOnly: true }).then(
      async (store) => {
        await store.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CorruptLogError);
    expect((error as CorruptLogError).position).toBe(before.head.seq + 1);
    expect((error as Error).message).toMatch(
      new RegExp(`ends at entry #${before.head.seq}, but the head file`),
    );
    expect(second.acked()).toBeGreaterThan(before.head.seq);
  });
});
