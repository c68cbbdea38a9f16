import type { ArchivingStore, SegmentRecord } from './ArchivingStore.js';
import { type Checkpoint, isSignedBy } from './checkpoint.js';
import type { LogHead } from './EventStore.js';
import type { StoredEvent } from './events.js';
import { factMismatch } from './factMismatch.js';
import { GENESIS_HASH } from './hashChain.js';
import {
  checkedEntries,
  type OrderedSegment,
  orderedSegments,
  segmentDataJson,
} from './readArchive.js';
import { SegmentFault, type SegmentSource, sourceName } from './SegmentReader.js';
import { keyIdOf } from './signingKey.js';
import { ChainCursor, type VerifyProblem, type VerifyResult } from './verifyChain.js';
import { resolveVerifyOptions, type VerifyOptions } from './verifyCheckpoints.js';

const COMPONENT = 'verifyArchive';

const fail = (
  problem: VerifyProblem,
  firstBadSeq: number,
  reason: string,
): Extract<VerifyResult, { ok: false }> => ({
  ok: false,
  entries: firstBadSeq - 1,
  firstBadSeq,
  problem,
  reason,
});

const short = (hex: string): string => `${hex.slice(0, 16)}…`;

/** What the walk over the segments collected for the checks after it. */
type Walked = Readonly<{
  /** Hashes of the archived entries a checkpoint or the anchor names. */
  hashes: Map<number, string>;
  /** Every `log.archived` entry met in the segments, by seq. */
  facts: Map<number, StoredEvent>;
}>;

/** Is each given segment one the log recorded, and do they follow one another? */
function placeSegment(
  segment: OrderedSegment,
  previous: OrderedSegment | undefined,
  after: LogHead,
  records: readonly SegmentRecord[],
): VerifyResult | undefined {
  const { header } = segment;
  const name = sourceName(segment.source);
  if (header.firstSeq > after.seq + 1) {
    return fail(
      'segment',
      after.seq + 1,
      `entries ${after.seq + 1}..${header.firstSeq - 1} are in none of the segments given (a segment is missing; ${name} starts at entry #${header.firstSeq})`,
    );
  }
  if (header.firstSeq < after.seq + 1) {
    return fail(
      'segment',
      header.firstSeq,
      `${name} holds entries from #${header.firstSeq}, which ${previous === undefined ? 'another segment' : sourceName(previous.source)} holds already (a segment given twice, or overlapping ones)`,
    );
  }
  const record = records.find(
    (r) => r.firstSeq === header.firstSeq && r.lastSeq === header.lastSeq,
  );
  if (record === undefined) {
    return fail(
      'segment',
      header.firstSeq,
      `${name} (entries ${header.firstSeq}..${header.lastSeq}) is not a segment the log recorded`,
    );
  }
  if (record.sha256 !== header.sha256) {
    return fail(
      'segment',
      header.firstSeq,
      `${name} says its entries hash to ${short(header.sha256)}, but the log recorded segment ${record.file} as ${short(record.sha256)}: the segment was changed or replaced`,
    );
  }
  return undefined;
}

/** Walks the given segments as one chain from genesis. */
async function walkSegments(
  ordered: readonly OrderedSegment[],
  records: readonly SegmentRecord[],
  wanted: ReadonlySet<number>,
): Promise<{ end: LogHead; walked: Walked } | VerifyResult> {
  const hashes = new Map<number, string>();
  const facts = new Map<number, StoredEvent>();
  const cursor = new ChainCursor({ seq: 0, hash: GENESIS_HASH }, segmentDataJson);
  let after: LogHead = { seq: 0, hash: GENESIS_HASH };
  let previous: OrderedSegment | undefined;
  for (const segment of ordered) {
    const misplaced = placeSegment(segment, previous, after, records);
    if (misplaced !== undefined) return misplaced;
    const { header } = segment;
    if (header.firstPrevHash !== after.hash) {
      return fail(
        'chain',
        header.firstSeq,
        `${sourceName(segment.source)} does not chain to the entry before it: its first entry's prevHash is ${short(header.firstPrevHash)}, entry #${after.seq} has hash ${short(after.hash)}`,
      );
    }
    const failed: { result?: VerifyResult } = {};
    try {
      for await (const batch of checkedEntries(segment, cursor, failed)) {
        for (const entry of batch) {
          if (wanted.has(entry.seq)) hashes.set(entry.seq, entry.hash);
          if (entry.type === 'log.archived') {
            facts.set(entry.seq, { ...entry, data: entry.data } as unknown as StoredEvent);
          }
        }
      }
    } catch (error) {
      if (!(error instanceof SegmentFault)) throw error;
      return fail(error.unreadable ? 'unreadable' : 'segment', error.seq, error.message);
    }
    const broken = failed.result;
    if (broken !== undefined && !broken.ok) {
      return { ...broken, reason: `${sourceName(segment.source)}: ${broken.reason}` };
    }
    const reached = cursor.result();
    if (
      reached.entries !== header.lastSeq ||
      (reached.ok && reached.headHash !== header.lastHash)
    ) {
      return fail(
        'segment',
        header.firstSeq,
        `${sourceName(segment.source)}: its header names entries ${header.firstSeq}..${header.lastSeq} ending in hash ${short(header.lastHash)}, its lines do not`,
      );
    }
    after = { seq: header.lastSeq, hash: header.lastHash };
    previous = segment;
  }
  return { end: after, walked: { hashes, facts } };
}

/** The `log.archived` entry at `seq`: met in a segment, or read from the live log. */
async function factAt(
  store: ArchivingStore,
  seq: number,
  walked: Walked,
): Promise<StoredEvent | undefined> {
  const met = walked.facts.get(seq);
  if (met !== undefined) return met;
  for await (const batch of store.read({ fromSeq: seq, toSeq: seq })) {
    if (batch[0]?.seq === seq) return batch[0];
  }
  return undefined;
}

/**
 * Archived checkpoints against the archived entries' real hashes (the live check can only
 * compare them with themselves), and the signatures of those in segment headers.
 */
function checkArchivedCheckpoints(
  checkpoints: readonly Checkpoint[],
  start: LogHead,
  walked: Walked,
  publicKey: ReturnType<typeof resolveVerifyOptions>['publicKey'],
): VerifyResult | undefined {
  const keyId = publicKey === undefined ? undefined : keyIdOf(publicKey);
  for (const checkpoint of checkpoints) {
    if (checkpoint.seq > start.seq) continue;
    if (
      keyId !== undefined &&
      checkpoint.keyId === keyId &&
      !isSignedBy(checkpoint, publicKey!, keyId)
    ) {
      return fail(
        'bad-checkpoint',
        checkpoint.seq,
        `the archived checkpoint of entry #${checkpoint.seq} names the given public key, but its signature does not verify`,
      );
    }
    const found = walked.hashes.get(checkpoint.seq);
    if (found !== checkpoint.hash) {
      return fail(
        'forged',
        checkpoint.seq,
        `archived entry #${checkpoint.seq} has hash ${short(found ?? '?')}, but its signed checkpoint says ${short(checkpoint.hash)}: the archive was rewritten and recomputed`,
      );
    }
  }
  return undefined;
}

/**
 * Verifies archive segments and the live log of `store` as one hash chain: segment 1 starts
 * at genesis, each segment's last hash is the next one's first `prevHash`, and the last
 * one's is where the live log starts; every line re-hashes; each segment is one the log
 * recorded (its range and sha256 in `store.segments()` and in the `log.archived` entry of
 * the chain that recorded it); and no recorded segment is missing. Then the live log is
 * verified in full (`store.verify({ full: true })`) with `options`: signed checkpoints of
 * archived entries are checked against those entries, and an anchored head (`expectHead`)
 * may name an archived entry. Segments may be given in any order (paths or bytes), or as a
 * function that lists them (a directory's files), called again for each attempt.
 *
 * Archive runs may go on meanwhile (another instance's, the store's retention): a segment
 * sealed but not yet recorded is left out, and when a run records one during the check, the
 * check starts again against the new start of the live log (up to three times).
 *
 * A finding is returned, not thrown: `segment` for a missing, repeated, replaced or
 * unrecorded segment; `chain` for a changed line or a broken link (`firstBadSeq` the first
 * bad entry); `unreadable` for a file that cannot be read; the checkpoint problems as
 * `store.verify` names them.
 * @example
 * const result = await verifyArchive(segmentPaths, store, { publicKey });
 */
export async function verifyArchive(
  sources: readonly SegmentSource[] | (() => readonly SegmentSource[]),
  store: ArchivingStore,
  options?: VerifyOptions,
): Promise<VerifyResult> {
  resolveVerifyOptions(COMPONENT, options);
  for (let attempt = 1; ; attempt++) {
    const records = await store.segments();
    const result = await verifyOnce(
      typeof sources === 'function' ? sources() : sources,
      records,
      store,
      options,
    );
    // An archive run that recorded a segment meanwhile (another process, or the store's
    // retention) moved the live log's start: the segments were placed against the old one,
    // so the check is repeated against the new one rather than reporting either way.
    const newest = (await store.segments()).at(-1);
    if (newest?.lastSeq === records.at(-1)?.lastSeq || attempt === MAX_ATTEMPTS) return result;
  }
}

/** How often {@link verifyArchive} starts again when archive runs keep recording meanwhile. */
const MAX_ATTEMPTS = 3;

async function verifyOnce(
  sources: readonly SegmentSource[],
  records: readonly SegmentRecord[],
  store: ArchivingStore,
  options: VerifyOptions | undefined,
): Promise<VerifyResult> {
  const { publicKey, expectHead } = resolveVerifyOptions(COMPONENT, options);
  const lastRecord = records[records.length - 1];
  const start: LogHead =
    lastRecord === undefined
      ? { seq: 0, hash: GENESIS_HASH }
      : { seq: lastRecord.lastSeq, hash: lastRecord.lastHash };
  let ordered: OrderedSegment[];
  try {
    // A segment after the recorded ones is not part of the archive yet: a run in progress
    // sealed it and has not committed (or a killed run left it, for the next run to remove).
    ordered = (await orderedSegments(sources)).filter(
      ({ header }) =>
        header.firstSeq <= start.seq ||
        records.some((r) => r.firstSeq === header.firstSeq && r.lastSeq === header.lastSeq),
    );
  } catch (error) {
    if (!(error instanceof SegmentFault)) throw error;
    return fail('segment', 1, error.message);
  }
  const checkpoints = [
    ...(await store.checkpoints()),
    ...ordered.flatMap((segment) => segment.header.checkpoints),
  ];
  const wanted = new Set(checkpoints.map((c) => c.seq));
  if (expectHead !== undefined) wanted.add(expectHead.seq);
  const walk = await walkSegments(ordered, records, wanted);
  if ('ok' in walk) return walk;
  const { end, walked } = walk;
  if (end.seq < start.seq) {
    const absent = records.filter((r) => r.firstSeq > end.seq).map((r) => r.file);
    return fail(
      'segment',
      end.seq + 1,
      `entries ${end.seq + 1}..${start.seq} are archived in ${absent.join(', ')}, which ${absent.length === 1 ? 'was' : 'were'} not given: pass every segment of the log`,
    );
  }
  if (end.seq !== start.seq || end.hash !== start.hash) {
    return fail(
      'segment',
      start.seq + 1,
      `the segments end at entry #${end.seq}, but the live log starts after entry #${start.seq}`,
    );
  }
  const head = await store.head();
  for (const record of records) {
    // A live log cut back before the newest fact (a repair accepted a lost tail) lacks it.
    if (record.factSeq > head.seq) continue;
    const reason = factMismatch(record, await factAt(store, record.factSeq, walked));
    if (reason !== undefined) return fail('segment', record.firstSeq, reason);
  }
  for (const [seq, fact] of walked.facts) {
    if (!records.some((r) => r.factSeq === seq)) {
      const segment = (fact.data as { segment?: unknown }).segment;
      return fail(
        'segment',
        seq,
        `entry #${seq} records segment ${String(segment)}, which the log's segments table no longer lists`,
      );
    }
  }
  const archived = checkArchivedCheckpoints(checkpoints, start, walked, publicKey);
  if (archived !== undefined) return archived;
  if (expectHead !== undefined && expectHead.seq <= start.seq && expectHead.seq > 0) {
    const found = walked.hashes.get(expectHead.seq);
    if (found !== expectHead.hash) {
      return fail(
        'expected-head',
        expectHead.seq,
        `archived entry #${expectHead.seq} has hash ${short(found ?? '?')}, not the anchored ${short(expectHead.hash)}: the log up to it was rewritten`,
      );
    }
  }
  const anchoredLive = expectHead !== undefined && expectHead.seq > start.seq;
  return store.verify({
    full: true,
    ...(publicKey === undefined ? {} : { publicKey }),
    ...(anchoredLive ? { expectHead } : {}),
  });
}
