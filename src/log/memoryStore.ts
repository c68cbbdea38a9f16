import type { CheckpointedStore } from './CheckpointedStore.js';
import type { Checkpoint } from './checkpoint.js';
import type { SigningOptions } from './checkpointOptions.js';
import { checkpointSchedule } from './checkpointSchedule.js';
import type { AppendOptions, LogHead, ReadOptions, StoreClock } from './EventStore.js';
import type { NewEvent, StoredEvent } from './events.js';
import { GENESIS_HASH } from './hashChain.js';
import { MemoryProjection } from './MemoryProjection.js';
import {
  draftEvents,
  repeatedTriggerInBatch,
  sealDrafts,
  TRIGGERED,
  timeStamper,
  toStoredEvent,
} from './prepareAppend.js';
import { alreadyTriggeredError, expectedSeqError, storeClosedError } from './storeErrors.js';
import {
  resolveAppendOptions,
  resolveMemoryStoreOptions,
  resolveReadOptions,
} from './storeOptions.js';
import { verifyChain } from './verifyChain.js';
import { resolveVerifyOptions, verifyCheckpoints } from './verifyCheckpoints.js';

const COMPONENT = 'memoryStore';

/** Options of {@link memoryStore}. */
export type MemoryStoreOptions = Readonly<{
  /** Time source for `time` stamps; inject a fake one in tests. @default Date.now */
  clock?: StoreClock;
}> &
  SigningOptions;

/** Freezes a freshly parsed payload all the way down, so readers cannot edit the log. */
function freezeDeep<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) freezeDeep(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * An {@link EventStore} that keeps the log in process memory: the store for tests, for
 * embedding where durability is not wanted, and the reference the contract suite is
 * written against.
 *
 * Its read model (a {@link MemoryProjection}) is updated by the same synchronous step as the
 * entries. Each append runs synchronously at call time, so calls made in the same tick are applied
 * in call order — the first of two competing triggers wins, exactly as a real store's
 * unique constraint would decide. Entries are frozen objects sharing `prevHash` strings
 * with their predecessor; no JSON text is kept (it is re-derived for verification), which
 * keeps a million-entry log affordable.
 *
 * @example
 * const store = memoryStore({ clock: { now: () => Date.parse('2026-01-05T09:00:00Z') } });
 * await store.append([{ type: 'scheduler.started', stream: 'scheduler', data: { instanceId: 'a' } }]);
 */
export function memoryStore(options?: MemoryStoreOptions): CheckpointedStore {
  const { clock, signing } = resolveMemoryStoreOptions(options);
  const stampTime = timeStamper(COMPONENT, clock);
  const entries: StoredEvent[] = [];
  const triggered = new Set<string>();
  const projection = new MemoryProjection();
  let closed = false;

  // Signed checkpoints (only with a signingKey), recorded in the same synchronous step as the
  // entries whose head they sign.
  const checkpoints: Checkpoint[] = [];
  const schedule =
    signing && checkpointSchedule(signing.signer, signing.every, undefined, clock.now());
  const keep = (checkpoint: Checkpoint | undefined): void => {
    if (checkpoint === undefined) return;
    checkpoints.push(checkpoint);
    schedule?.recorded(checkpoint);
  };

  const headNow = (): LogHead => {
    const last = entries[entries.length - 1];
    return last === undefined ? { seq: 0, hash: GENESIS_HASH } : { seq: last.seq, hash: last.hash };
  };

  const append = async (
    events: readonly NewEvent[],
    appendOptions?: AppendOptions,
  ): Promise<readonly StoredEvent[]> => {
    if (closed) throw storeClosedError(COMPONENT, 'append');
    const { expectedSeq } = resolveAppendOptions(COMPONENT, appendOptions);
    const drafts = draftEvents(COMPONENT, events);
    const time = stampTime();
    const head = headNow();
    if (expectedSeq !== undefined && expectedSeq !== head.seq) {
      throw expectedSeqError(COMPONENT, expectedSeq, head.seq);
    }
    const repeated =
      repeatedTriggerInBatch(drafts) ??
      drafts.find((d) => d.type === TRIGGERED && triggered.has(d.stream))?.stream;
    if (repeated !== undefined) throw alreadyTriggeredError(COMPONENT, repeated);

    // Nothing below can fail, so the batch lands whole or (above) not at all.
    const stored = sealDrafts(drafts, head, time).map((entry) =>
      toStoredEvent(entry, freezeDeep(JSON.parse(entry.dataJson))),
    );
    for (const event of stored) {
      entries.push(event);
      if (event.type === TRIGGERED) triggered.add(event.stream);
    }
    projection.apply(stored);
    keep(schedule?.due(headNow(), Date.parse(time)));
    return stored;
  };

  async function* read(readOptions?: ReadOptions): AsyncGenerator<readonly StoredEvent[]> {
    if (closed) throw storeClosedError(COMPONENT, 'read');
    const { fromSeq, toSeq, batchSize } = resolveReadOptions(COMPONENT, readOptions);
    // seq n lives at index n - 1; the range is re-clamped per batch so a reader sees entries
    // appended while it iterates, like a paging database reader would.
    let index = fromSeq - 1;
    while (true) {
      if (closed) throw storeClosedError(COMPONENT, 'read');
      const end = Math.min(entries.length, toSeq, index + batchSize);
      if (index >= end) return;
      const batch = entries.slice(index, end);
      index = end;
      yield batch;
    }
  }

  const ensureOpen = (operation: string): void => {
    if (closed) throw storeClosedError(COMPONENT, operation);
  };

  return {
    append,
    read,
    head: async () => {
      ensureOpen('head');
      return headNow();
    },
    loadLive: async () => {
      ensureOpen('read');
      return projection.loadLive(headNow());
    },
    getRecord: async (occurrenceId) => {
      ensureOpen('read');
      return projection.record(occurrenceId);
    },
    queryRecords: async (query) => {
      ensureOpen('read');
      return projection.queryRecords(query);
    },
    queryHistory: async (query) => {
      ensureOpen('read');
      return projection.queryHistory(query, (seq) => entries[seq - 1]);
    },
    placesSince: async (sinceMs) => {
      ensureOpen('read');
      return projection.placesSince(sinceMs);
    },
    async verify(verifyOptions) {
      if (closed) throw storeClosedError(COMPONENT, 'verify');
      resolveVerifyOptions(COMPONENT, verifyOptions);
      const chain = await verifyChain(read());
      const hashAt = (seq: number) => entries[seq - 1]?.hash;
      return verifyCheckpoints(chain, { checkpoints, hashAt }, verifyOptions);
    },
    checkpoints: async () => {
      if (closed) throw storeClosedError(COMPONENT, 'checkpoints');
      return checkpoints.slice();
    },
    // No checkpoint on close: a closed memory log can no longer be read by anyone.
    close: async () => {
      closed = true;
    },
  };
}
