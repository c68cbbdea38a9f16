import { CorruptLogError, ValidationError } from '../domain/errors.js';
import type {
  ArchiveOptions,
  ArchiveResult,
  ArchivingStore,
  SegmentRecord,
} from './ArchivingStore.js';
import type { Checkpoint } from './checkpoint.js';
import type { SigningOptions } from './checkpointOptions.js';
import { checkpointSchedule } from './checkpointSchedule.js';
import {
  type AppendOptions,
  type LogHead,
  type ReadOptions,
  type StoreClock,
  toIso,
} from './EventStore.js';
import { type NewEvent, type StoredEvent, streams } from './events.js';
import { logArchived } from './facts.js';
import { GENESIS_HASH } from './hashChain.js';
import { heldBackBy, RECENT_OCCURRENCES_MS } from './leavesReadModel.js';
import { MemoryProjection } from './MemoryProjection.js';
import { memoryLeases } from './memoryLeases.js';
import {
  type DraftEvent,
  draftEvents,
  repeatedTriggerInBatch,
  sealDrafts,
  settledAlreadyInBatch,
  TRIGGERED,
  timeStamper,
  toStoredEvent,
} from './prepareAppend.js';
import { RetentionCadence } from './RetentionCadence.js';
import { type RetentionOptions, resolveArchiveRun } from './retentionOptions.js';
import { segmentBytes } from './segmentBytes.js';
import { rangeOf } from './segmentFormat.js';
import {
  alreadySettledError,
  alreadyTriggeredError,
  expectedSeqError,
  storeClosedError,
} from './storeErrors.js';
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
  /**
   * Archive entries older than `keepFinishedFor` on a cadence, as the SQLite store does, so
   * memory holds the recent log only. The memory store writes no files: each segment's
   * bytes go to `retention.onArchived` (`result.bytes`) and are not kept. No `archiveDir`.
   * @default undefined (keep every entry)
   */
  retention?: RetentionOptions;
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
export function memoryStore(options?: MemoryStoreOptions): ArchivingStore {
  const { clock, signing, retention } = resolveMemoryStoreOptions(options);
  const stampTime = timeStamper(COMPONENT, clock);
  /** The live entries: entry #seq at index seq - start.seq - 1. */
  let entries: StoredEvent[] = [];
  /** Where the live log starts: genesis, or the end of the last segment. */
  let start: LogHead = { seq: 0, hash: GENESIS_HASH };
  const segments: SegmentRecord[] = [];
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
    return last === undefined ? start : { seq: last.seq, hash: last.hash };
  };
  const entryAt = (seq: number): StoredEvent | undefined =>
    seq > start.seq ? entries[seq - start.seq - 1] : undefined;

  // Retention: a run on open, then whenever an append finds the cadence due, each on a
  // promise job of its own (so an append never waits for it, and fake timers cannot stall it).
  const cadence = retention === undefined ? undefined : new RetentionCadence(retention);
  const runRetention = (): void => {
    if (cadence === undefined || retention === undefined) return;
    cadence.started(headNow().seq, clock.now());
    void Promise.resolve()
      .then(() =>
        archiveNow(resolveArchiveRun(COMPONENT, undefined, { nowMs: clock.now(), retention })),
      )
      .then(retention.onArchived, (error: unknown) => {
        if (!closed) retention.onError(error);
      })
      .finally(() => cadence.finished());
  };

  const append = async (
    events: readonly NewEvent[],
    appendOptions?: AppendOptions,
  ): Promise<readonly StoredEvent[]> => {
    if (closed) throw storeClosedError(COMPONENT, 'append');
    const { expectedSeq } = resolveAppendOptions(COMPONENT, appendOptions);
    const drafts = draftEvents(COMPONENT, events);
    const stored = commit(drafts, stampTime(), expectedSeq);
    if (cadence?.due(headNow().seq, clock.now())) runRetention();
    return stored;
  };

  const OCCURRENCE_STREAM = streams.occurrence('');
  const stateOfStream = (stream: string): string | undefined =>
    stream.startsWith(OCCURRENCE_STREAM)
      ? projection.record(stream.slice(OCCURRENCE_STREAM.length))?.execution.state
      : undefined;

  /** Stores checked drafts, whole or (throwing) not at all. */
  function commit(
    drafts: readonly DraftEvent[],
    time: string,
    expectedSeq: number | undefined,
  ): readonly StoredEvent[] {
    const head = headNow();
    if (expectedSeq !== undefined && expectedSeq !== head.seq) {
      throw expectedSeqError(COMPONENT, expectedSeq, head.seq);
    }
    const repeated =
      repeatedTriggerInBatch(drafts) ??
      drafts.find((d) => d.type === TRIGGERED && triggered.has(d.stream))?.stream;
    if (repeated !== undefined) throw alreadyTriggeredError(COMPONENT, repeated);
    const settled = settledAlreadyInBatch(drafts, stateOfStream);
    if (settled !== undefined) throw alreadySettledError(COMPONENT, settled);

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
  }

  /**
   * One archive run, synchronous: the prefix of entries older than the cutoff becomes a
   * segment (its bytes handed back), leaves the live log, and the settled occurrences it
   * completes leave the read model when `log.archived` is folded in.
   */
  function archiveNow(run: ReturnType<typeof resolveArchiveRun>): ArchiveResult {
    if (closed) throw storeClosedError(COMPONENT, 'archive');
    const before = toIso(run.beforeMs);
    if (run.archiveDir !== undefined) {
      throw new ValidationError(
        'planflow:invalid-options',
        'archiveDir',
        `${COMPONENT}: archive() takes no archiveDir: the memory store writes no files, it returns the segment's bytes (result.bytes)`,
      );
    }
    const young = entries.findIndex((entry) => entry.time >= before);
    const byTime = young < 0 ? entries.length : young;
    const heldBack = heldBackBy(projection.loadLive(headNow()).live, (id) => projection.record(id));
    const held =
      heldBack !== undefined && heldBack.fromSeq - start.seq - 1 < byTime ? { heldBack } : {};
    const count = held.heldBack === undefined ? byTime : held.heldBack.fromSeq - start.seq - 1;
    if (count <= 0) return { segment: undefined, prunedOccurrences: 0, before, ...held };
    const moving = entries.slice(0, count);
    const last = moving[count - 1]!;
    const time = stampTime();
    const inRange = checkpoints.filter((c) => c.seq > start.seq && c.seq <= last.seq);
    const built = segmentBytes(moving, start, inRange, time);
    if ('ok' in built) {
      throw new CorruptLogError(
        built.firstBadSeq,
        `${COMPONENT}: cannot archive: entry #${built.firstBadSeq} does not verify (${built.reason})`,
      );
    }
    run.onStep('segment-written');
    run.onStep('segment-sealed');
    const { header, bytes } = built;
    const range = {
      lastSeq: header.lastSeq,
      occurrencesBefore: toIso(Math.min(run.beforeMs, clock.now() - RECENT_OCCURRENCES_MS)),
    };
    const leaving = projection.leaving(range);
    const name = `memory.${String(header.firstSeq).padStart(12, '0')}-${String(header.lastSeq).padStart(12, '0')}.jsonl.gz`;
    const fact = logArchived({
      ...rangeOf(header),
      segment: name,
      before,
      occurrencesBefore: range.occurrencesBefore,
      prunedOccurrences: leaving.length,
    });
    run.onStep('recording');
    entries = entries.slice(count);
    start = { seq: header.lastSeq, hash: header.lastHash };
    for (const id of leaving) triggered.delete(`occurrence:${id}`);
    const [recorded] = commit(
      [{ type: fact.type, stream: fact.stream, dataJson: JSON.stringify(fact.data) }],
      time,
      undefined,
    );
    const segment: SegmentRecord = Object.freeze({
      ...rangeOf(header),
      file: name,
      dir: '',
      bytes: bytes.byteLength,
      factSeq: recorded!.seq,
      archivedAt: time,
    });
    segments.push(segment);
    run.onStep('recorded');
    return { segment, bytes, prunedOccurrences: leaving.length, before, ...held };
  }

  async function* read(readOptions?: ReadOptions): AsyncGenerator<readonly StoredEvent[]> {
    if (closed) throw storeClosedError(COMPONENT, 'read');
    const { fromSeq, toSeq, batchSize } = resolveReadOptions(COMPONENT, readOptions);
    // Paged by seq and re-clamped per batch, so a reader sees entries appended while it
    // iterates (and an archive run moving the live start), like a paging database reader.
    let next = fromSeq;
    while (true) {
      if (closed) throw storeClosedError(COMPONENT, 'read');
      const index = Math.max(next, start.seq + 1) - start.seq - 1;
      const end = Math.min(entries.length, toSeq - start.seq, index + batchSize);
      if (index >= end) return;
      const batch = entries.slice(index, end);
      next = batch[batch.length - 1]!.seq + 1;
      yield batch;
    }
  }

  const ensureOpen = (operation: string): void => {
    if (closed) throw storeClosedError(COMPONENT, operation);
  };
  if (cadence !== undefined) runRetention();

  return {
    append,
    read,
    // One running scheduler per memory store: a second one's start() is refused.
    leases: memoryLeases(),
    head: async () => {
      ensureOpen('head');
      return headNow();
    },
    loadLive: async (window) => {
      ensureOpen('read');
      return projection.loadLive(headNow(), window);
    },
    farWaiting: {
      load: async (range) => {
        ensureOpen('read');
        return projection.loadWaiting(range);
      },
      summary: async (fromMs, instants) => {
        ensureOpen('read');
        return projection.waitingSummary(fromMs, instants);
      },
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
      return projection.queryHistory(query, entryAt);
    },
    placesSince: async (sinceMs) => {
      ensureOpen('read');
      return projection.placesSince(sinceMs);
    },
    async verify(verifyOptions) {
      if (closed) throw storeClosedError(COMPONENT, 'verify');
      resolveVerifyOptions(COMPONENT, verifyOptions);
      const from = start;
      const chain = await verifyChain(read(), undefined, from);
      // An archived entry's hash: the segment's end, or what its checkpoint said when the
      // archive run checked it against the entry.
      const hashAt = (seq: number) =>
        seq > from.seq
          ? entryAt(seq)?.hash
          : seq === from.seq
            ? from.hash
            : checkpoints.find((c) => c.seq === seq)?.hash;
      return verifyCheckpoints(
        chain,
        { checkpoints, hashAt, archivedUpTo: from.seq },
        verifyOptions,
      );
    },
    archive: async (archiveOptions?: ArchiveOptions) => {
      ensureOpen('archive');
      return archiveNow(
        resolveArchiveRun(COMPONENT, archiveOptions, { nowMs: clock.now(), retention }),
      );
    },
    segments: async () => {
      ensureOpen('segments');
      return segments.slice();
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
