import type { IsoInstant } from '../domain/types.js';
import type { Checkpoint } from './checkpoint.js';
import type { SealedEntry } from './prepareAppend.js';

/**
 * The archive segment format. A segment is gzip-compressed JSON Lines: a header line, then
 * one line per entry in seq order. An entry line holds the stored fields and, last, the
 * payload exactly as stored (its JSON text, unchanged), so every hash re-verifies from the
 * file alone and `zcat segment | jq .data` reads it. The header is a gzip member of its own
 * ahead of the entries' member (gzip readers join members), which lets a writer stream the
 * entries first and state their sha256 in the header after.
 */

/** Marks a file as a PlanFlow archive segment. */
export const SEGMENT_FORMAT = 'planflow-segment-v1';

/** The first line of a segment. */
export type SegmentHeader = Readonly<{
  format: typeof SEGMENT_FORMAT;
  firstSeq: number;
  lastSeq: number;
  count: number;
  /** `prevHash` of the first entry. */
  firstPrevHash: string;
  /** `hash` of the last entry. */
  lastHash: string;
  /** sha256 (hex) of the entry lines, each followed by `\n`: everything after the header. */
  sha256: string;
  /** Signed checkpoints of entries in the segment, as the log held them when it was sealed. */
  checkpoints: readonly Checkpoint[];
  /** When it was sealed. */
  archivedAt: IsoInstant;
}>;

/** What a segment's header says of the range it holds: what its record and its fact repeat. */
export type SegmentRange = Pick<
  SegmentHeader,
  'firstSeq' | 'lastSeq' | 'count' | 'firstPrevHash' | 'lastHash' | 'sha256'
>;

/** The range a segment's header describes. */
export function rangeOf(header: SegmentHeader): SegmentRange {
  const { firstSeq, lastSeq, count, firstPrevHash, lastHash, sha256 } = header;
  return { firstSeq, lastSeq, count, firstPrevHash, lastHash, sha256 };
}

/** One entry as a segment line (without the newline): its fields, then its payload's text. */
export function entryLine(entry: SealedEntry): string {
  return `{"seq":${entry.seq},"id":${JSON.stringify(entry.id)},"type":${JSON.stringify(entry.type)},"time":${JSON.stringify(entry.time)},"stream":${JSON.stringify(entry.stream)},"schemaVersion":${entry.schemaVersion},"prevHash":${JSON.stringify(entry.prevHash)},"hash":${JSON.stringify(entry.hash)},"data":${entry.dataJson}}`;
}

/** An entry read back from a line: its stored fields, the payload's text and its value. */
export type SegmentEntry = SealedEntry & Readonly<{ data: unknown }>;

const isInt = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value);

/** The keys of an entry line, in their one order. */
const LINE_KEYS = 'seq,id,type,time,stream,schemaVersion,prevHash,hash,data';

/**
 * Reads an entry line, or says why it is not one. The line must hold exactly the keys
 * {@link entryLine} writes, in its order; the payload's text is cut from the line after the
 * `"data":` key — the first after `"hash":`, since no string value can hold an unescaped
 * quote — so it is the very text the entry's hash is checked against.
 */
export function parseEntryLine(line: string): SegmentEntry | string {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return 'the line is not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return 'the line is not a JSON object';
  }
  const { seq, id, type, time, stream, schemaVersion, prevHash, hash, data } = parsed;
  if (
    !isInt(seq) ||
    typeof id !== 'string' ||
    typeof type !== 'string' ||
    typeof time !== 'string' ||
    typeof stream !== 'string' ||
    !isInt(schemaVersion) ||
    typeof prevHash !== 'string' ||
    typeof hash !== 'string' ||
    typeof data !== 'object' ||
    data === null
  ) {
    return 'the line lacks an entry field or has one of the wrong type';
  }
  if (Object.keys(parsed).join(',') !== LINE_KEYS) {
    return 'the line is not in segment form (fields reordered, added or removed)';
  }
  const at = line.indexOf(',"data":', line.indexOf('"hash":'));
  if (at < 0 || !line.endsWith('}')) return 'the line is not in segment form (reformatted)';
  const dataJson = line.slice(at + 8, -1);
  return { seq, id, type, time, stream, schemaVersion, prevHash, hash, dataJson, data };
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Reads a header line, or says why it is not one. */
export function parseHeaderLine(line: string): SegmentHeader | string {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return 'its first line is not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null) return 'its first line is not an object';
  const { format, firstSeq, lastSeq, count, firstPrevHash, lastHash, sha256 } = parsed;
  if (format !== SEGMENT_FORMAT) {
    return `its format is ${JSON.stringify(format)}, not "${SEGMENT_FORMAT}"`;
  }
  if (
    !isInt(firstSeq) ||
    !isInt(lastSeq) ||
    !isInt(count) ||
    firstSeq < 1 ||
    lastSeq < firstSeq ||
    typeof firstPrevHash !== 'string' ||
    !HEX64.test(firstPrevHash) ||
    typeof lastHash !== 'string' ||
    !HEX64.test(lastHash) ||
    typeof sha256 !== 'string' ||
    !HEX64.test(sha256) ||
    !Array.isArray(parsed.checkpoints) ||
    typeof parsed.archivedAt !== 'string'
  ) {
    return 'its header lacks a field or has one of the wrong type';
  }
  return Object.freeze({
    format,
    firstSeq,
    lastSeq,
    count,
    firstPrevHash,
    lastHash,
    sha256,
    checkpoints: Object.freeze(parsed.checkpoints as Checkpoint[]),
    archivedAt: parsed.archivedAt,
  });
}

/**
 * The file name of the segment holding entries `firstSeq`..`lastSeq` of the log called
 * `logName`: zero-padded, so a directory listing (and a shell glob) is in seq order.
 */
export function segmentFileName(logName: string, firstSeq: number, lastSeq: number): string {
  return `${segmentFilePrefix(logName, firstSeq)}${pad(lastSeq)}.jsonl.gz`;
}

const pad = (n: number) => String(n).padStart(12, '0');

/** How the name of every segment of `logName` starting at `firstSeq` begins. */
export function segmentFilePrefix(logName: string, firstSeq: number): string {
  return `${logName}.${pad(firstSeq)}-`;
}
