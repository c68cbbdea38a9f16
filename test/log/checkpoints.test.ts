import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isPlanflowError, ValidationError } from '../../src/domain/errors.js';
import { checkpointBytes } from '../../src/log/checkpoint.js';
import type { NewEvent, StoredEvent } from '../../src/log/events.js';
import { memoryStore } from '../../src/log/memoryStore.js';
import { keyIdOf } from '../../src/log/signingKey.js';
import { verifyChain } from '../../src/log/verifyChain.js';
import { type CheckpointEvidence, verifyCheckpoints } from '../../src/log/verifyCheckpoints.js';
import { describeEventStoreContract } from '../contracts/storeContract.js';
import { ed25519Pair, recomputeChain } from '../helpers/signingKeys.js';

const keys = ed25519Pair();
const T0 = Date.parse('2026-03-02T08:00:00.000Z');

const started = (instanceId: string): NewEvent => ({
  type: 'scheduler.started',
  stream: 'scheduler',
  data: { instanceId },
});

/** A memory store on a clock the test moves, signing with `keys`. */
function signingStore(checkpointEvery?: { entries?: number; ms?: number }) {
  const clock = { ms: T0, now: () => clock.ms };
  const store = memoryStore({
    clock,
    signingKey: keys.privateKey,
    ...(checkpointEvery === undefined ? {} : { checkpointEvery }),
  });
  return { store, clock };
}

async function appendEach(store: ReturnType<typeof memoryStore>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await store.append([started(`i${i}`)]);
}

async function entriesOf(store: ReturnType<typeof memoryStore>): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for await (const batch of store.read()) all.push(...batch);
  return all;
}

/** What `verify()` would find for these (possibly forged) entries and checkpoints. */
async function check(
  entries: readonly StoredEvent[],
  evidence: Omit<CheckpointEvidence, 'hashAt'>,
  options?: Parameters<typeof verifyCheckpoints>[2],
) {
  const chain = await verifyChain([entries]);
  return verifyCheckpoints(
    chain,
    { ...evidence, hashAt: (seq) => entries[seq - 1]?.hash },
    options,
  );
}

describeEventStoreContract('memoryStore with a signingKey', async ({ clock }) => {
  const store = memoryStore({
    clock,
    signingKey: keys.privatePem,
    checkpointEvery: { entries: 2 },
  });
  return { store, cleanup: () => store.close() };
});

describe('memoryStore with a signingKey', () => {
  describe('when it signs', () => {
    it('signs the head once every `entries` entries, one checkpoint per append call', async () => {
      const { store } = signingStore({ entries: 3 });
      await appendEach(store, 7);
      expect((await store.checkpoints()).map((c) => c.seq)).toEqual([3, 6]);
      // A call that crosses the threshold signs the head after its whole batch.
      await store.append([started('a'), started('b'), started('c'), started('d')]);
      expect((await store.checkpoints()).map((c) => c.seq)).toEqual([3, 6, 11]);
    });

    it('signs at the first append once `ms` have passed since the last checkpoint', async () => {
      const { store, clock } = signingStore({ entries: Number.POSITIVE_INFINITY, ms: 1000 });
      await appendEach(store, 1);
      clock.ms += 999;
      await appendEach(store, 1);
      expect(await store.checkpoints()).toEqual([]);
      clock.ms += 1;
      await appendEach(store, 1);
      clock.ms += 5000;
      // No append, no checkpoint: time alone never signs.
      expect((await store.checkpoints()).map((c) => [c.seq, c.time])).toEqual([
        [3, '2026-03-02T08:00:01.000Z'],
      ]);
    });

    it('defaults to every 1000 entries or 60 s', async () => {
      const { store, clock } = signingStore();
      await store.append(Array.from({ length: 999 }, (_, i) => started(`i${i}`)));
      clock.ms += 59_999;
      await appendEach(store, 1);
      expect((await store.checkpoints()).map((c) => c.seq)).toEqual([1000]);
      clock.ms += 60_000;
      await appendEach(store, 1);
      expect((await store.checkpoints()).map((c) => c.seq)).toEqual([1000, 1001]);
    });

    it('signs exactly the documented bytes with the key, named by the sha256 of its raw public key', async () => {
      const { store } = signingStore({ entries: 1 });
      await appendEach(store, 1);
      const [checkpoint] = await store.checkpoints();
      const head = await store.head();
      const raw = Buffer.from(String(keys.publicKey.export({ format: 'jwk' }).x), 'base64url');
      expect(raw).toHaveLength(32);
      expect(checkpoint).toMatchObject({
        seq: 1,
        hash: head.hash,
        time: '2026-03-02T08:00:00.000Z',
      });
      expect(checkpoint!.keyId).toBe(keyIdOf(keys.publicKey));
      const text = `planflow-checkpoint-v1\n1\n${head.hash}\n2026-03-02T08:00:00.000Z\n${checkpoint!.keyId}`;
      expect(checkpointBytes(checkpoint!).toString('utf8')).toBe(text);
      const signature = Buffer.from(checkpoint!.signature, 'base64');
      expect(verify(null, Buffer.from(text), keys.publicKey, signature)).toBe(true);
      expect(verify(null, Buffer.from(`${text}x`), keys.publicKey, signature)).toBe(false);
    });
  });

  describe('verify', () => {
    it('says how far the given public key vouches for the log', async () => {
      const { store } = signingStore({ entries: 4 });
      await appendEach(store, 10);
      expect(await store.verify({ publicKey: keys.publicPem })).toMatchObject({
        ok: true,
        entries: 10,
        signedUpTo: 8,
      });
      const plain = await store.verify();
      expect(plain).toMatchObject({ ok: true, entries: 10 });
      expect(plain).not.toHaveProperty('signedUpTo');
    });

    it('reports a wrong public key, naming the key that did sign', async () => {
      const { store } = signingStore({ entries: 2 });
      await appendEach(store, 4);
      const other = ed25519Pair();
      const result = await store.verify({ publicKey: other.publicKey });
      expect(result).toMatchObject({ ok: false, problem: 'unsigned', firstBadSeq: 1, entries: 0 });
      expect(!result.ok && result.reason).toContain(keyIdOf(keys.publicKey).slice(0, 16));
      expect(!result.ok && result.reason).toContain('is it the right public key?');
    });

    it('reports a log without a key as unsigned when a public key is asked for', async () => {
      const store = memoryStore({ clock: { now: () => T0 } });
      await appendEach(store, 3);
      await store.close();
      const reopened = memoryStore({ clock: { now: () => T0 } });
      await appendEach(reopened, 3);
      expect(await reopened.checkpoints()).toEqual([]);
      expect(await reopened.verify()).toMatchObject({ ok: true, entries: 3 });
      expect(await reopened.verify({ publicKey: keys.publicKey })).toMatchObject({
        ok: false,
        problem: 'unsigned',
      });
      // An empty log has nothing to prove.
      expect(await memoryStore().verify({ publicKey: keys.publicKey })).toMatchObject({
        ok: true,
        signedUpTo: 0,
      });
    });

    it('checks an anchored head', async () => {
      const { store } = signingStore({ entries: 2 });
      await appendEach(store, 5);
      const entries = await entriesOf(store);
      const third = `3:${entries[2]!.hash}`;
      expect(await store.verify({ expectHead: third })).toMatchObject({ ok: true });
      expect(await store.verify({ expectHead: { seq: 5, hash: entries[4]!.hash } })).toMatchObject({
        ok: true,
      });
      expect(await store.verify({ expectHead: `3:${entries[1]!.hash}` })).toMatchObject({
        ok: false,
        problem: 'expected-head',
        firstBadSeq: 3,
      });
      expect(
        await store.verify({ expectHead: `7:${entries[1]!.hash}`, publicKey: keys.publicKey }),
      ).toMatchObject({ ok: false, problem: 'expected-head', firstBadSeq: 6 });
    });
  });

  describe('options', () => {
    const garbage: ReadonlyArray<readonly [string, unknown]> = [
      ['a word', 'not a key at all'],
      ['an empty string', ''],
      ['a number', 42],
      ['a Buffer', Buffer.alloc(32)],
      ['a plain object', {}],
      ['an RSA key', generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey],
      [
        'an RSA PEM',
        generateKeyPairSync('rsa', { modulusLength: 1024 })
          .privateKey.export({ format: 'pem', type: 'pkcs8' })
          .toString(),
      ],
      ['an X25519 key', generateKeyPairSync('x25519').privateKey],
      ['an Ed25519 public key', keys.publicKey],
      ['an Ed25519 public PEM', keys.publicPem],
      ['a broken PEM', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'],
    ];
    it.each(garbage)('refuses %s as signingKey, saying how to make an Ed25519 key', (_, key) => {
      const error = (() => {
        try {
          memoryStore({ signingKey: key as never });
          return undefined;
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({
        code: 'planflow:invalid-options',
        field: 'options.signingKey',
      });
      expect((error as Error).message).toContain('openssl genpkey -algorithm ed25519');
      expect((error as Error).message).toContain("crypto.generateKeyPairSync('ed25519')");
    });

    it('names what was wrong with the key without echoing key material', () => {
      const secret = 'c2VjcmV0LWtleS1tYXRlcmlhbC10aGF0LW11c3Qtbm90LWxlYWs=';
      expect(() => memoryStore({ signingKey: secret })).toThrowError(
        /got a string of 52 characters that is not PEM/,
      );
      expect(() => memoryStore({ signingKey: secret })).not.toThrowError(secret.slice(0, 10));
      expect(() => memoryStore({ signingKey: keys.publicKey })).toThrowError(
        /must be the private key .* pass the public key to verify\(\) instead/,
      );
      expect(() =>
        memoryStore({ signingKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }),
      ).toThrowError(/must be an Ed25519 key, got an EC key/);
    });

    it('refuses a cadence that cannot be meant, and a cadence without a key', () => {
      const key = keys.privateKey;
      for (const entries of [0, -1, 1.5, '10', Number.NaN]) {
        expect(() =>
          memoryStore({ signingKey: key, checkpointEvery: { entries } as never }),
        ).toThrowError(/checkpointEvery\.entries must be an integer ≥ 1 or Infinity/);
      }
      expect(() => memoryStore({ signingKey: key, checkpointEvery: { ms: 0 } })).toThrowError(
        /checkpointEvery\.ms/,
      );
      expect(() =>
        memoryStore({
          signingKey: key,
          checkpointEvery: { entries: Number.POSITIVE_INFINITY, ms: Number.POSITIVE_INFINITY },
        }),
      ).toThrowError(/only close\(\) would sign/);
      expect(() =>
        memoryStore({ signingKey: key, checkpointEvery: { entires: 5 } as never }),
      ).toThrowError(/did you mean "entries"/);
      expect(() => memoryStore({ checkpointEvery: { entries: 5 } })).toThrowError(
        /checkpointEvery must be given only together with signingKey/,
      );
    });

    it('refuses bad verify options with a ValidationError before walking the log', async () => {
      const store = memoryStore();
      for (const options of [
        { publicKey: 'garbage' },
        { publicKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey },
        { expectHead: 'head' },
        { expectHead: `0:${'a'.repeat(64)}` },
        { expectHead: '3:abc' },
        { expect: '3:abc' },
      ]) {
        const error = await store.verify(options as never).catch((e: unknown) => e);
        expect(isPlanflowError(error, 'planflow:invalid-options'), JSON.stringify(options)).toBe(
          true,
        );
      }
    });
  });
});

describe('verifyCheckpoints', () => {
  /** A signed log of 10 entries with checkpoints at 4 and 8, and its entries. */
  async function signedLog() {
    const { store } = signingStore({ entries: 4 });
    await appendEach(store, 10);
    return { entries: await entriesOf(store), checkpoints: await store.checkpoints() };
  }

  it('finds a chain rewritten and recomputed with entryHash, which the chain check alone passes', async () => {
    const { entries, checkpoints } = await signedLog();
    const forged = recomputeChain(entries, 6, { instanceId: 'forged' });
    expect(await verifyChain([forged])).toMatchObject({ ok: true, entries: 10 });
    const result = await check(forged, { checkpoints }, { publicKey: keys.publicKey });
    expect(result).toMatchObject({ ok: false, problem: 'forged', firstBadSeq: 5, entries: 4 });
    expect(!result.ok && result.reason).toContain('entry #8 has hash');
    // Without a key the checkpoints still contradict the forgery…
    expect(await check(forged, { checkpoints })).toMatchObject({ problem: 'forged' });
    // …unless the forger removes them too: then only the key notices.
    expect(await check(forged, { checkpoints: [] })).toMatchObject({ ok: true });
    expect(await check(forged, { checkpoints: [] }, { publicKey: keys.publicKey })).toMatchObject({
      ok: false,
      problem: 'unsigned',
    });
  });

  it('finds a checkpoint changed to fit a forgery, since its signature no longer verifies', async () => {
    const { entries, checkpoints } = await signedLog();
    const forged = recomputeChain(entries, 2, { instanceId: 'forged' });
    const refitted = checkpoints.map((c) => ({ ...c, hash: forged[c.seq - 1]!.hash }));
    expect(await check(forged, { checkpoints: refitted })).toMatchObject({ ok: true });
    expect(
      await check(forged, { checkpoints: refitted }, { publicKey: keys.publicKey }),
    ).toMatchObject({ ok: false, problem: 'bad-checkpoint', firstBadSeq: 1 });
    // A forger signing with a key of their own proves nothing to the owner's key.
    const theirs = ed25519Pair();
    const theirCheckpoints = refitted.map((c) => ({ ...c, keyId: keyIdOf(theirs.publicKey) }));
    expect(
      await check(forged, { checkpoints: theirCheckpoints }, { publicKey: keys.publicKey }),
    ).toMatchObject({ ok: false, problem: 'unsigned' });
  });

  it('finds a tail cut back past the last checkpoint, from the table or from the mirror', async () => {
    const { entries, checkpoints } = await signedLog();
    const cut = entries.slice(0, 6);
    expect(await verifyChain([cut])).toMatchObject({ ok: true, entries: 6 });
    expect(await check(cut, { checkpoints })).toMatchObject({
      ok: false,
      problem: 'truncated',
      firstBadSeq: 7,
      entries: 6,
    });
    // The table went with the rows; the mirror outside the log still names entry #8.
    const mirror = { where: 'log.db.head', checkpoint: checkpoints[1]! };
    const result = await check(cut, { checkpoints: checkpoints.slice(0, 1), mirror });
    expect(result).toMatchObject({ ok: false, problem: 'truncated', firstBadSeq: 7 });
    expect(!result.ok && result.reason).toContain('the head file log.db.head of entry #8');
    // Cut after the last checkpoint: nothing signed is missing, so nothing shows.
    expect(await check(entries.slice(0, 9), { checkpoints })).toMatchObject({ ok: true });
  });

  it('reports a mirror that is not a checkpoint, and passes a failed chain walk through', async () => {
    const { entries, checkpoints } = await signedLog();
    const mirror = { where: 'log.db.head', damaged: 'not JSON (3 bytes)' };
    expect(await check(entries, { checkpoints, mirror })).toMatchObject({
      ok: false,
      problem: 'bad-checkpoint',
      firstBadSeq: 9,
    });
    const broken = entries.map((e) => (e.seq === 3 ? { ...e, hash: '0'.repeat(64) } : e));
    expect(await check(broken, { checkpoints, mirror })).toMatchObject({
      ok: false,
      problem: 'chain',
      firstBadSeq: 3,
    });
  });
});
