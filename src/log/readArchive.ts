import { deepFreeze } from '../domain/deepFreeze.js';
import { CorruptLogError } from '../domain/errors.js';
import type { StoredEvent } from './events.js';
import { SegmentFault, SegmentReader, type SegmentSource, sourceName } from './SegmentReader.js';
import type { SegmentEntry, SegmentHeader } from './segmentFormat.js';
import { ChainCursor, type VerifyResult } from './verifyChain.js';

/** A segment and its header, as {@link orderedSegments} found them. */
export type OrderedSegment = Readonly<{ source: SegmentSource; header: SegmentHeader }>;

/**
 * Reads the header of every source and puts them in seq order (the order they were given in
 * carries no evidence). A source that is not a segment is a {@link SegmentFault}.
 */
export async function orderedSegments(
  sources: readonly SegmentSource[],
): Promise<OrderedSegment[]> {
  const found: OrderedSegment[] = [];
  for (const source of sources) {
    const reader = await SegmentReader.open(source);
    await reader.close();
    found.push({ source, header: reader.header });
  }
  return found.sort((a, b) => a.header.firstSeq - b.header.firstSeq);
}

/** The payload text of a segment entry, which its hash covers. */
export const segmentDataJson = (event: StoredEvent): string =>
  (event as unknown as SegmentEntry).dataJson;

/**
 * The entries of one segment, checked against the chain as they are read (`cursor` carries
 * it over from the previous segment): a failure of the chain is returned through `failed`
 * and ends the walk; a damaged file or line throws a {@link SegmentFault}.
 */
export async function* checkedEntries(
  segment: OrderedSegment,
  cursor: ChainCursor,
  failed: { result?: VerifyResult },
  batchSize = 500,
): AsyncGenerator<readonly SegmentEntry[]> {
  const reader = await SegmentReader.open(segment.source);
  for await (const batch of reader.entries(batchSize)) {
    for (const entry of batch) {
      const bad = cursor.step(entry as unknown as StoredEvent);
      if (bad !== undefined) {
        failed.result = bad;
        return;
      }
    }
    yield batch;
  }
}

const toStoredEvent = (entry: SegmentEntry): StoredEvent =>
  Object.freeze({
    seq: entry.seq,
    id: entry.id,
    type: entry.type,
    time: entry.time,
    stream: entry.stream,
    data: deepFreeze(entry.data),
    schemaVersion: entry.schemaVersion,
    prevHash: entry.prevHash,
    hash: entry.hash,
  }) as StoredEvent;

function archiveError(reason: string, seq: number, path: string | undefined): CorruptLogError {
  return new CorruptLogError(
    seq,
    `readArchive: ${reason}. Entries before #${seq} were read and verify; check the archive with planflow verify --archive <segments…> against its log`,
    { damage: 'chain', ...(path === undefined ? {} : { path }) },
  );
}

/**
 * Reads the entries of archive segments (files, or the bytes a memory store's `archive()`
 * returned) in seq order, in batches, as frozen `StoredEvent`s — the history an archive run
 * moved out of the live log. The segments may be given in any order but must follow one
 * another without a gap; every line is checked as it is read: its hash, its link to the
 * previous entry (across segments too), and each segment's sha256 and count against its
 * header. To prove the archive is the one the log recorded, use `verifyArchive`.
 * @throws CorruptLogError at the first entry that is missing, changed or cannot be read;
 * every batch before it was yielded.
 * @example
 * for await (const batch of readArchive(['planflow.db.archive/planflow.db.000000000001-000000500000.jsonl.gz'])) {
 *   for (const event of batch) console.log(event.seq, event.type);
 * }
 */
export async function* readArchive(
  sources: readonly SegmentSource[],
  options: Readonly<{ batchSize?: number }> = {},
): AsyncGenerator<readonly StoredEvent[]> {
  let ordered: OrderedSegment[];
  try {
    ordered = await orderedSegments(sources);
  } catch (error) {
    if (error instanceof SegmentFault) throw archiveError(error.message, 1, error.source);
    throw error;
  }
  const first = ordered[0];
  if (first === undefined) return;
  const cursor = new ChainCursor(
    { seq: first.header.firstSeq - 1, hash: first.header.firstPrevHash },
    segmentDataJson,
  );
  for (const segment of ordered) {
    const name = sourceName(segment.source);
    const failed: { result?: VerifyResult } = {};
    try {
      for await (const batch of checkedEntries(segment, cursor, failed, options.batchSize)) {
        yield batch.map(toStoredEvent);
      }
    } catch (error) {
      if (error instanceof SegmentFault) throw archiveError(error.message, error.seq, name);
      throw error;
    }
    if (failed.result !== undefined && !failed.result.ok) {
      throw archiveError(`${name}: ${failed.result.reason}`, failed.result.firstBadSeq, name);
    }
  }
}
