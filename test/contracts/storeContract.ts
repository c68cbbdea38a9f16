import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPlanflowError } from '../../src/domain/errors.js';
import { parseTask } from '../../src/domain/validateTask.js';
import type { EventStore, ReadOptions, StoreClock } from '../../src/log/EventStore.js';
import { type NewEvent, SCHEMA_VERSION, type StoredEvent, streams } from '../../src/log/events.js';
import { entryHash, GENESIS_HASH } from '../../src/log/hashChain.js';
import { type VerifyResult, verifyChain } from '../../src/log/verifyChain.js';

/** What the contract hands a store factory: the clock the store must stamp entries with. */
export type StoreContractContext = Readonly<{ clock: StoreClock }>;

/** A fresh, empty store and how to dispose of it (close, delete files, drop schema …). */
export type StoreFixture = Readonly<{ store: EventStore; cleanup(): Promise<void> }>;

const START_MS = Date.parse('2026-03-02T08:00:00.000Z');

const triggered = (occurrenceId: string, attempt = 0): NewEvent => ({
  type: 'occurrence.triggered',
  stream: streams.occurrence(occurrenceId),
  data: { occurrenceId, attempt, idempotencyKey: `${occurrenceId}#${attempt}`, lateByMs: 0 },
});

const completed = (occurrenceId: string, durationMs = 5): NewEvent => ({
  type: 'occurrence.completed',
  stream: streams.occurrence(occurrenceId),
  data: { occurrenceId, durationMs },
});

const scheduled = (occurrenceId: string): NewEvent => ({
  type: 'occurrence.scheduled',
  stream: streams.occurrence(occurrenceId),
  data: {
    occurrence: {
      id: occurrenceId,
      taskId: 't1',
      scheduledFor: '2026-03-02T09:00:00.000Z',
      attempt: 0,
      cause: 'initial',
    },
  },
});

const missed = (occurrenceId: string): NewEvent => ({
  type: 'occurrence.missed',
  stream: streams.occurrence(occurrenceId),
  data: { occurrenceId, lateByMs: 60_000 },
});

const started = (instanceId: string): NewEvent => ({
  type: 'scheduler.started',
  stream: streams.scheduler,
  data: { instanceId },
});

async function readAll(store: EventStore, options?: ReadOptions): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for await (const batch of store.read(options)) all.push(...batch);
  return all;
}

async function batchSizes(store: EventStore, options?: ReadOptions): Promise<number[]> {
  const sizes: number[] = [];
  for await (const batch of store.read(options)) sizes.push(batch.length);
  return sizes;
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected a rejection with ${code}`).toBeDefined();
  expect(isPlanflowError(error) ? error.code : error).toBe(code);
}

const seqs = (events: readonly StoredEvent[]): number[] => events.map((e) => e.seq);

/**
 * The behaviour every {@link EventStore} must have, written once and run against each
 * implementation (memory, SQLite, PostgreSQL). `makeStore` returns a new, empty store that
 * stamps entries with the given clock.
 */
export function describeEventStoreContract(
  name: string,
  makeStore: (context: StoreContractContext) => Promise<StoreFixture>,
): void {
  describe(`EventStore contract: ${name}`, () => {
    let nowMs = START_MS;
    const clock: StoreClock = { now: () => nowMs };
    let fixture: StoreFixture;
    let store: EventStore;

    beforeEach(async () => {
      nowMs = START_MS;
      fixture = await makeStore({ clock });
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    describe('when empty', () => {
      it('has head 0 with the genesis hash and reads nothing', async () => {
        expect(await store.head()).toEqual({ seq: 0, hash: GENESIS_HASH });
        expect(await readAll(store)).toEqual([]);
      });
    });

    describe('append', () => {
      it('numbers entries 1, 2, 3 … across calls and returns exactly what read returns', async () => {
        const first = await store.append([started('a'), triggered('o1')]);
        const second = await store.append([completed('o1')]);
        const third = await store.append([triggered('o2'), completed('o2'), started('b')]);
        expect(seqs(first)).toEqual([1, 2]);
        expect(seqs(second)).toEqual([3]);
        expect(seqs(third)).toEqual([4, 5, 6]);
        expect(await readAll(store)).toEqual([...first, ...second, ...third]);
        expect((await store.head()).seq).toBe(6);
      });

      it('stamps unique ids, the clock time of the call, the schema version and the hash chain', async () => {
        const first = await store.append([started('a'), triggered('o1')]);
        nowMs += 61_000;
        const second = await store.append([completed('o1')]);
        const all = [...first, ...second];
        expect(new Set(all.map((e) => e.id)).size).toBe(3);
        expect(all.every((e) => typeof e.id === 'string' && e.id.length >= 10)).toBe(true);
        expect(first.map((e) => e.time)).toEqual([
          '2026-03-02T08:00:00.000Z',
          '2026-03-02T08:00:00.000Z',
        ]);
        expect(second[0]!.time).toBe('2026-03-02T08:01:01.000Z');
        expect(all.every((e) => e.schemaVersion === SCHEMA_VERSION)).toBe(true);
        let prevHash = GENESIS_HASH;
        for (const event of all) {
          expect(event.prevHash).toBe(prevHash);
          expect(event.hash).toBe(entryHash({ ...event, dataJson: JSON.stringify(event.data) }));
          prevHash = event.hash;
        }
        expect(await store.head()).toEqual({ seq: 3, hash: prevHash });
      });

      it('stores the payload exactly as given', async () => {
        const data = {
          occurrenceId: 'ünïcødé ✓ 🚀 "quoted" \\ \n line\u2028sep',
          durationMs: 1.5e21,
          nested: { list: [1, 'two', null, { three: true }], empty: {} },
        };
        const event = { type: 'occurrence.completed', stream: 'occurrence:x', data };
        await store.append([event as unknown as NewEvent]);
        const [stored] = await readAll(store);
        expect(stored!.data).toEqual(data);
        expect(stored!.stream).toBe('occurrence:x');
        expect(stored!.type).toBe('occurrence.completed');
      });

      it('keeps texts no JSON round trip may bend: NUL, lone surrogates, escapes', async () => {
        // Each a text a store must hand back as given, in the entries and in the read model
        // (a task, an execution): a NUL (`\u0000` in JSON), a lone high and low surrogate
        // (escaped by JSON.stringify), quotes, backslashes and an escape-looking text.
        const message = 'a\u0000b \ud800 c\udfff "q" \\ \\u0041 \\"';
        const error = { name: 'Error', message };
        const task = parseTask({ id: 't1', title: message }, undefined, new Date(START_MS));
        const failed: NewEvent = {
          type: 'occurrence.failed',
          stream: streams.occurrence('o1'),
          data: { occurrenceId: 'o1', durationMs: 1, error },
        };
        await store.append([
          { type: 'task.defined', stream: streams.task('t1'), data: { task } } as NewEvent,
          scheduled('o1'),
          triggered('o1'),
        ]);
        await store.append([failed]);
        const entries = await readAll(store);
        expect(entries[0]!.data).toEqual({ task });
        expect(entries.at(-1)!.data).toEqual({ occurrenceId: 'o1', durationMs: 1, error });
        expect((await store.getRecord('o1'))?.execution.error).toEqual(error);
        expect((await store.loadLive()).tasks).toEqual([task]);
        // A store that checks its own chain hashes the text it stored (verifyChain hashes the
        // parsed payload again, which a bent text could still match).
        const own = (store as Partial<{ verify(o: { full: true }): Promise<VerifyResult> }>).verify;
        if (own !== undefined) expect((await own.call(store, { full: true })).ok).toBe(true);
        expect((await verifyChain(store.read())).ok).toBe(true);
      });

      it('returns [] for an empty batch and stores nothing', async () => {
        expect(await store.append([])).toEqual([]);
        expect((await store.head()).seq).toBe(0);
      });

      it('rejects a malformed event with a ValidationError and stores nothing of its batch', async () => {
        const noStream = { type: 'occurrence.completed', data: { occurrenceId: 'x' } };
        await expectCode(
          store.append([started('a'), noStream as unknown as NewEvent]),
          'planflow:invalid-input',
        );
        const bigint = { ...started('a'), data: { instanceId: 'a', n: 1n } } as unknown as NewEvent;
        await expectCode(store.append([bigint]), 'planflow:invalid-input');
        expect((await store.head()).seq).toBe(0);
      });
    });

    describe('occurrence.triggered uniqueness', () => {
      it('rejects a batch whose trigger repeats an earlier one, storing none of it', async () => {
        await store.append([triggered('o1')]);
        const head = await store.head();
        await expectCode(
          store.append([completed('o1'), triggered('o1', 1), started('b')]),
          'planflow:already-triggered',
        );
        expect(await store.head()).toEqual(head);
        expect(seqs(await readAll(store))).toEqual([1]);
      });

      it('rejects a batch that triggers the same occurrence twice', async () => {
        await expectCode(
          store.append([triggered('o1'), triggered('o1', 1)]),
          'planflow:already-triggered',
        );
        expect((await store.head()).seq).toBe(0);
      });

      it('allows one trigger per occurrence and any number of other events per stream', async () => {
        await store.append([triggered('o1'), triggered('o2')]);
        await store.append([completed('o1'), completed('o1'), triggered('o3')]);
        expect((await store.head()).seq).toBe(5);
      });

      it('lets exactly one of two same-tick batches trigger an occurrence; the loser is rejected whole', async () => {
        const results = await Promise.allSettled([
          store.append([started('a'), triggered('o1'), completed('o9')]),
          store.append([triggered('o1', 1), started('b')]),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(isPlanflowError(lost[0]!.reason, 'planflow:already-triggered')).toBe(true);
        const winner = (won[0] as PromiseFulfilledResult<readonly StoredEvent[]>).value;
        const log = await readAll(store);
        expect(log).toEqual(winner);
        expect(seqs(log)).toEqual(winner.map((_, i) => i + 1));
        expect((await verifyChain(store.read())).ok).toBe(true);
      });

      it('keeps appending normally after a rejected batch', async () => {
        await store.append([triggered('o1')]);
        await expectCode(store.append([triggered('o1')]), 'planflow:already-triggered');
        const next = await store.append([completed('o1')]);
        expect(seqs(next)).toEqual([2]);
        expect(next[0]!.prevHash).toBe((await readAll(store))[0]!.hash);
        expect((await verifyChain(store.read())).ok).toBe(true);
      });
    });

    describe('one ending per occurrence', () => {
      it('refuses an outcome for a run already settled, and a miss of one that triggered', async () => {
        await store.append([scheduled('o1'), triggered('o1'), completed('o1')]);
        await expectCode(store.append([completed('o1')]), 'planflow:already-settled');
        await store.append([scheduled('o2'), triggered('o2')]);
        await expectCode(store.append([missed('o2')]), 'planflow:already-settled');
        // The loser is rejected whole: nothing of its batch is stored.
        await expectCode(
          store.append([started('a'), completed('o2'), completed('o2')]),
          'planflow:already-settled',
        );
        expect((await store.head()).seq).toBe(5);
        await store.append([completed('o2')]);
        await store.append([scheduled('o3'), missed('o3')]);
        expect((await store.head()).seq).toBe(8);
        expect((await verifyChain(store.read())).ok).toBe(true);
      });

      it('lets exactly one of two same-tick endings of one run land', async () => {
        await store.append([scheduled('o1'), triggered('o1')]);
        const results = await Promise.allSettled([
          store.append([completed('o1')]),
          store.append([completed('o1', 7)]),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const lost = results.filter((r) => r.status === 'rejected');
        expect(lost).toHaveLength(1);
        expect(isPlanflowError(lost[0]!.reason, 'planflow:already-settled')).toBe(true);
        expect((await store.head()).seq).toBe(3);
      });
    });

    describe('expectedSeq', () => {
      it('appends when the head is where the caller expects it', async () => {
        await store.append([started('a')], { expectedSeq: 0 });
        const next = await store.append([started('b')], { expectedSeq: 1 });
        expect(seqs(next)).toEqual([2]);
      });

      it('rejects a stale expectedSeq with planflow:concurrency and stores nothing', async () => {
        await store.append([started('a'), started('b')]);
        await expectCode(store.append([started('c')], { expectedSeq: 1 }), 'planflow:concurrency');
        await expectCode(store.append([started('c')], { expectedSeq: 5 }), 'planflow:concurrency');
        expect((await store.head()).seq).toBe(2);
      });

      it('lets exactly one of two same-tick appends with the same expectedSeq win', async () => {
        await store.append([started('a')]);
        const results = await Promise.allSettled([
          store.append([started('b'), started('c')], { expectedSeq: 1 }),
          store.append([started('d')], { expectedSeq: 1 }),
        ]);
        expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
        const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(isPlanflowError(lost.reason, 'planflow:concurrency')).toBe(true);
        expect((await store.head()).seq).toBe(3);
      });

      it('rejects an expectedSeq that is not an integer ≥ 0', async () => {
        await expectCode(
          store.append([started('a')], { expectedSeq: -1 }),
          'planflow:invalid-options',
        );
        await expectCode(
          store.append([started('a')], { expectedSeq: 0.5 }),
          'planflow:invalid-options',
        );
        expect((await store.head()).seq).toBe(0);
      });
    });

    describe('hash chain', () => {
      it('verifies with verifyChain and ends at the head hash', async () => {
        for (let i = 0; i < 7; i++) await store.append([triggered(`o${i}`), completed(`o${i}`)]);
        const result = await verifyChain(store.read({ batchSize: 3 }));
        expect(result).toEqual({ ok: true, entries: 14, headHash: (await store.head()).hash });
      });
    });

    describe('read', () => {
      beforeEach(async () => {
        for (let i = 1; i <= 10; i++) await store.append([started(`i${i}`)]);
      });

      it('reads an inclusive seq range', async () => {
        expect(seqs(await readAll(store, { fromSeq: 3, toSeq: 6 }))).toEqual([3, 4, 5, 6]);
        expect(seqs(await readAll(store, { fromSeq: 9 }))).toEqual([9, 10]);
        expect(seqs(await readAll(store, { toSeq: 2 }))).toEqual([1, 2]);
      });

      it('yields batches of batchSize in seq order', async () => {
        expect(await batchSizes(store, { batchSize: 4 })).toEqual([4, 4, 2]);
        expect(await batchSizes(store, { batchSize: 5 })).toEqual([5, 5]);
        expect(await batchSizes(store, { fromSeq: 2, toSeq: 8, batchSize: 3 })).toEqual([3, 3, 1]);
        expect(await batchSizes(store)).toEqual([10]);
        expect(seqs(await readAll(store, { batchSize: 3 }))).toEqual(seqs(await readAll(store)));
      });

      it('yields nothing for a range past the head or an empty range', async () => {
        expect(await readAll(store, { fromSeq: 11 })).toEqual([]);
        expect(await readAll(store, { fromSeq: 5, toSeq: 4 })).toEqual([]);
        expect(await readAll(store, { toSeq: 0 })).toEqual([]);
      });

      it('rejects options that cannot be meant', async () => {
        await expectCode(readAll(store, { fromSeq: 0 }), 'planflow:invalid-options');
        await expectCode(readAll(store, { batchSize: 0 }), 'planflow:invalid-options');
        await expectCode(readAll(store, { toSeq: -1 }), 'planflow:invalid-options');
      });
    });

    describe('payload isolation', () => {
      it('is not changed by the caller mutating its objects after append', async () => {
        const data = { occurrenceId: 'o1', durationMs: 5 };
        const [returned] = await store.append([
          { type: 'occurrence.completed', stream: 'occurrence:o1', data },
        ]);
        data.durationMs = 999;
        expect((await readAll(store))[0]!.data).toEqual({ occurrenceId: 'o1', durationMs: 5 });
        expect(returned!.data).toEqual({ occurrenceId: 'o1', durationMs: 5 });
      });

      it('hands out frozen entries that readers cannot use to edit the log', async () => {
        await store.append([completed('o1')]);
        const [event] = await readAll(store);
        expect(Object.isFrozen(event)).toBe(true);
        try {
          (event!.data as { durationMs: number }).durationMs = 999;
        } catch {
          // Frozen payloads throw in strict mode; either way the log must not change.
        }
        expect((await readAll(store))[0]!.data).toEqual({ occurrenceId: 'o1', durationMs: 5 });
      });
    });

    describe('when closed', () => {
      it('rejects every operation with planflow:store-closed and closes idempotently', async () => {
        await store.append([started('a')]);
        await store.close();
        await expectCode(store.append([started('b')]), 'planflow:store-closed');
        await expectCode(store.head(), 'planflow:store-closed');
        await expectCode(readAll(store), 'planflow:store-closed');
        await expect(store.close()).resolves.toBeUndefined();
      });
    });

    describe('under any mix of batches', () => {
      it('matches a model: gapless, one trigger per occurrence, losers rejected whole', async () => {
        const eventArb = fc.oneof(
          fc.constantFrom('o1', 'o2', 'o3').map((o) => triggered(o)),
          fc.constantFrom('o1', 'o2').map((o) => completed(o)),
        );
        const callsArb = fc.array(
          fc.record({ events: fc.array(eventArb, { maxLength: 4 }), sameTick: fc.boolean() }),
          { maxLength: 8 },
        );
        await fc.assert(
          fc.asyncProperty(callsArb, async (calls) => {
            const { store: s, cleanup } = await makeStore({ clock });
            try {
              const settled: Promise<PromiseSettledResult<readonly StoredEvent[]>>[] = [];
              for (const call of calls) {
                const p = Promise.allSettled([s.append(call.events)]).then((r) => r[0]!);
                settled.push(p);
                if (!call.sameTick) await p;
              }
              const results = await Promise.all(settled);
              // The model: calls apply in call order; a call fails if it triggers twice.
              const fired = new Set<string>();
              const expected: string[] = [];
              results.forEach((result, i) => {
                const streamsFired = calls[i]!.events.filter(
                  (e) => e.type === 'occurrence.triggered',
                ).map((e) => e.stream);
                const ok =
                  new Set(streamsFired).size === streamsFired.length &&
                  streamsFired.every((st) => !fired.has(st));
                expect(result.status).toBe(ok ? 'fulfilled' : 'rejected');
                if (!ok) return;
                for (const st of streamsFired) fired.add(st);
                expected.push(...calls[i]!.events.map((e) => `${e.type}@${e.stream}`));
              });
              const log = await readAll(s);
              expect(log.map((e) => `${e.type}@${e.stream}`)).toEqual(expected);
              expect(seqs(log)).toEqual(log.map((_, i) => i + 1));
              expect((await verifyChain(s.read({ batchSize: 2 }))).ok).toBe(true);
            } finally {
              await cleanup();
            }
          }),
          { numRuns: 15 },
        );
      });
    });
  });
}
