import { describe, expect, it } from 'vitest';
import { isPlanflowError } from '../../src/domain/errors.js';
import type { StoredEvent } from '../../src/log/events.js';
import { memoryStore } from '../../src/log/memoryStore.js';
import { describeEventStoreContract } from '../contracts/storeContract.js';

describeEventStoreContract('memoryStore', async ({ clock }) => {
  const store = memoryStore({ clock });
  return { store, cleanup: () => store.close() };
});

describe('memoryStore', () => {
  it('stamps entries with Date.now when no clock is given', async () => {
    const store = memoryStore();
    const before = Date.now();
    const [event] = await store.append([
      { type: 'scheduler.started', stream: 'scheduler', data: { instanceId: 'a' } },
    ]);
    const at = Date.parse(event!.time);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });

  it('freezes payloads all the way down', async () => {
    const store = memoryStore({ clock: { now: () => 0 } });
    const [event] = await store.append([
      {
        type: 'occurrence.failed',
        stream: 'occurrence:o1',
        data: { occurrenceId: 'o1', durationMs: 3, error: { name: 'Error', message: 'boom' } },
      },
    ]);
    const failed = event as StoredEvent<'occurrence.failed'>;
    expect(Object.isFrozen(failed.data)).toBe(true);
    expect(Object.isFrozen(failed.data.error)).toBe(true);
  });

  it('rejects a clock that is not a clock, and a clock reading that is not a time', async () => {
    expect(() => memoryStore({ clock: {} as never })).toThrowError(/options\.clock/);
    const store = memoryStore({ clock: { now: () => Number.NaN } });
    const error = await store
      .append([{ type: 'scheduler.started', stream: 'scheduler', data: { instanceId: 'a' } }])
      .catch((e: unknown) => e);
    expect(isPlanflowError(error, 'planflow:invalid-options')).toBe(true);
    expect((await store.head()).seq).toBe(0);
  });

  it('sees entries appended while a read is under way', async () => {
    const store = memoryStore({ clock: { now: () => 0 } });
    const started = (id: string) =>
      ({ type: 'scheduler.started', stream: 'scheduler', data: { instanceId: id } }) as const;
    await store.append([started('a'), started('b')]);
    const seen: number[] = [];
    for await (const batch of store.read({ batchSize: 1 })) {
      seen.push(...batch.map((e) => e.seq));
      if (seen.length === 1) await store.append([started('c')]);
    }
    expect(seen).toEqual([1, 2, 3]);
  });
});
