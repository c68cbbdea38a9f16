import { describe, expect, it } from 'vitest';
import { settleMacrotask } from '../../src/testing/settle.js';
import { settleStoreWork, trackStoreWork } from '../../src/testing/storeWork.js';
import { TestClock } from '../../src/testing/TestClock.js';

/** Answers after `hops` real macrotask hops: a call slower than one hop, as a round trip is. */
const afterHops = async <T>(hops: number, value: T): Promise<T> => {
  for (let i = 0; i < hops; i++) await settleMacrotask();
  return value;
};

/** A store-shaped object whose calls answer late, with private state (`this` must be it). */
class SlowStore {
  readonly #written: string[] = [];
  readonly name = 'slow';
  readonly leases = {
    calls: 0,
    list: async (): Promise<number> => {
      this.leases.calls++;
      return afterHops(4, this.leases.calls);
    },
  };

  get written(): readonly string[] {
    return this.#written;
  }

  async append(entry: string, hops = 6): Promise<number> {
    await afterHops(hops, undefined);
    this.#written.push(entry);
    return this.#written.length;
  }

  read(): AsyncIterable<string> {
    const entries = ['a', 'b', 'c'];
    return {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          const value = entries.shift();
          return afterHops(3, value === undefined ? { done: true, value } : { done: false, value });
        },
      }),
    };
  }

  size(): number {
    return this.#written.length;
  }
}

describe('trackStoreWork and settleStoreWork', () => {
  it('waits for a tracked call slower than a macrotask hop, which a bare hop does not', async () => {
    const bare = new SlowStore();
    void bare.append('x');
    await settleMacrotask();
    expect(bare.written).toEqual([]);

    const store = trackStoreWork(new SlowStore());
    void store.append('x');
    await settleStoreWork();
    expect(store.written).toEqual(['x']);
  });

  it('is what a TestClock settles with unless given its own settle', async () => {
    const clock = new TestClock(0);
    const store = trackStoreWork(new SlowStore());
    clock.setTimeout(() => void store.append('at 10'), 10);
    await clock.advanceAsync(10);
    expect(store.written).toEqual(['at 10']);

    const bare = new TestClock(0, { settle: settleMacrotask });
    bare.setTimeout(() => void store.append('bare'), 10);
    await bare.advanceAsync(10);
    expect(store.written).toEqual(['at 10']);
    await settleStoreWork();
    expect(store.written).toEqual(['at 10', 'bare']);
  });

  it('waits for calls that the answer of another call starts', async () => {
    const store = trackStoreWork(new SlowStore());
    void store
      .append('first')
      .then(() => store.append('second'))
      .then(() => store.append('third', 1));
    await settleStoreWork();
    expect(store.written).toEqual(['first', 'second', 'third']);
  });

  it('counts every step of an async iterable a method returns', async () => {
    const store = trackStoreWork(new SlowStore());
    const seen: string[] = [];
    void (async () => {
      for await (const entry of store.read()) {
        seen.push(entry);
        if (entry === 'b') await store.append('from b', 2);
      }
    })();
    await settleStoreWork();
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(store.written).toEqual(['from b']);
  });

  it("tracks an object property's methods (leases) and keeps identities and values", async () => {
    const inner = new SlowStore();
    const store = trackStoreWork(inner);
    expect(trackStoreWork(inner)).toBe(store);
    expect(trackStoreWork(store)).toBe(store);
    expect(store.leases).toBe(store.leases);
    expect(store.name).toBe('slow');
    expect(store.size()).toBe(0);
    inner.size = () => 42;
    expect(store.size()).toBe(42);
    let listed: number | undefined;
    void store.leases.list().then((n) => {
      listed = n;
    });
    await settleStoreWork();
    expect(listed).toBe(1);
    expect(inner.leases.calls).toBe(1);
  });

  it('passes a failing call through and stops counting it', async () => {
    const store = trackStoreWork({
      append: async (): Promise<never> => {
        await afterHops(3, undefined);
        throw new Error('disk I/O error');
      },
    });
    const outcome = store.append().catch((error: Error) => error.message);
    await settleStoreWork();
    await expect(outcome).resolves.toBe('disk I/O error');
    await settleStoreWork();
  });

  it('fails, naming the cause, when store work keeps restarting itself without time moving', async () => {
    let calls = 0;
    let stop = false;
    const store = trackStoreWork({ ping: () => afterHops(1, undefined) });
    const loop = (): void => {
      calls++;
      if (!stop) void store.ping().then(loop);
    };
    loop();
    await expect(settleStoreWork()).rejects.toMatchObject({
      code: 'planflow:invalid-state',
      message: expect.stringContaining('still in flight after 10000 rounds'),
    });
    stop = true;
    await settleStoreWork();
    expect(calls).toBeGreaterThan(10_000);
  });
});
