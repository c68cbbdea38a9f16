import { CorruptLogError } from '../domain/errors.js';
import type { IsoInstant } from '../domain/types.js';
import type { ArchiveStep, SegmentRecord } from './ArchivingStore.js';
import type { Checkpoint } from './checkpoint.js';
import type { LogHead } from './EventStore.js';
import type { EntryRow } from './entryRow.js';
import type { StoredEvent } from './events.js';
import { SegmentBody } from './SegmentBody.js';
import { SegmentFile } from './SegmentFile.js';
import { rangeOf, type SegmentHeader } from './segmentFormat.js';
import { type VerifyResult, verifyChain } from './verifyChain.js';

/** Rows read (and lines written) per page while sealing a segment. */
const PAGE = 500;

/** A segment file written, flushed and named, not yet recorded by the log. */
export type SealedSegment = Readonly<{
  path: string;
  bytes: number;
  dir: string;
  name: string;
  header: SegmentHeader;
}>;

/**
 * The record of a sealed segment once the log recorded it: its `log.archived` entry at
 * `factSeq`, stamped `archivedAt`.
 */
export function recordOfSealed(
  sealed: SealedSegment,
  factSeq: number,
  archivedAt: string,
): SegmentRecord {
  return Object.freeze({
    ...rangeOf(sealed.header),
    file: sealed.name,
    dir: sealed.dir,
    bytes: sealed.bytes,
    factSeq,
    archivedAt,
  });
}

/** What {@link sealSegment} reads and how it names the log in its refusals. */
export type SealRequest = Readonly<{
  /** Where the live log starts: the prefix's first entry must chain onto it. */
  start: LogHead;
  /** The prefix's last entry. */
  last: number;
  /** Up to `limit` stored rows from `fromSeq` to `toSeq`, in seq order. */
  readPage(fromSeq: number, toSeq: number, limit: number): EntryRow[] | Promise<EntryRow[]>;
  /** Every checkpoint of the log (those in the prefix are checked and copied). */
  checkpoints: readonly Checkpoint[];
  dir: string;
  name: string;
  stampTime: () => IsoInstant;
  onStep: (step: ArchiveStep) => void;
  /** Runs before each page is read; throws to stop the run (the store is closing). */
  beforePage: () => void;
  /** How a refusal starts: `<component>: cannot archive "<log>"`. */
  refusal: string;
  /** The log's location, as its errors carry it. */
  path: string;
  /** The store's own error for a broken chain (undefined when `chain` is sound). */
  broken(chain: VerifyResult): CorruptLogError | undefined;
}>;

/**
 * The first phase of an archive run, the same on every store that keeps files: reads the
 * prefix `start`+1..`last` page by page, checks its chain from `start` and every signed
 * checkpoint in it against its entry, and streams its lines into a segment file (temporary
 * file, flushed, renamed, directory flushed — see {@link SegmentFile}). Nothing in the log
 * changes. On any failure the temporary files are removed and the error is rethrown: a
 * `CorruptLogError` for a broken or incomplete chain or a forged checkpoint, the reader's or
 * the file system's error otherwise (the store maps it).
 */
export async function sealSegment(request: SealRequest): Promise<SealedSegment> {
  const { start, last, dir, name, refusal, path, beforePage } = request;
  const inRange = request.checkpoints.filter((c) => c.seq > start.seq && c.seq <= last);
  const wanted = new Set(inRange.map((c) => c.seq));
  const hashes = new Map<number, string>();
  const body = new SegmentBody();
  const file = new SegmentFile(dir, name);
  async function* pages(): AsyncGenerator<readonly StoredEvent[]> {
    for (let next = start.seq + 1; next <= last; ) {
      beforePage();
      const rows = await request.readPage(next, last, PAGE);
      if (rows.length === 0) return;
      let text = '';
      const batch = new Array<StoredEvent>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const [seq, id, type, time, stream, dataJson, schemaVersion, prevHash, hash] = rows[i]!;
        text += body.line({ seq, id, type, time, stream, dataJson, schemaVersion, prevHash, hash });
        if (wanted.has(seq)) hashes.set(seq, hash);
        // The chain is checked over the stored JSON text (nothing parsed).
        batch[i] = {
          seq,
          id,
          type,
          time,
          stream,
          data: dataJson,
          schemaVersion,
          prevHash,
          hash,
        } as never;
      }
      await file.write(text);
      yield batch;
      next = rows[rows.length - 1]![0] + 1;
    }
  }
  try {
    const chain = await verifyChain(pages(), (e) => e.data as unknown as string, start);
    const broken = request.broken(chain);
    if (broken !== undefined) throw broken;
    if (chain.entries !== last) {
      throw new CorruptLogError(
        chain.entries + 1,
        `${refusal}: entries ${chain.entries + 1}..${last} are missing from the log. Nothing was changed; check it with planflow verify --full`,
        { path },
      );
    }
    for (const checkpoint of inRange) {
      if (hashes.get(checkpoint.seq) !== checkpoint.hash) {
        throw new CorruptLogError(
          checkpoint.seq,
          `${refusal}: the signed checkpoint of entry #${checkpoint.seq} does not match the entry (forged). Nothing was changed; check it with planflow verify --full --public-key <key>`,
          { path },
        );
      }
    }
    const header = body.header(inRange, request.stampTime());
    const written = await file.seal(header, request.onStep);
    return { ...written, header, dir, name };
  } catch (error) {
    await file.discard();
    throw error;
  }
}
