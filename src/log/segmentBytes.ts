import { gzipSync } from 'node:zlib';
import type { IsoInstant } from '../domain/types.js';
import type { Checkpoint } from './checkpoint.js';
import type { LogHead } from './EventStore.js';
import type { StoredEvent } from './events.js';
import { SegmentBody } from './SegmentBody.js';
import type { SegmentHeader } from './segmentFormat.js';
import { ChainCursor, type VerifyResult } from './verifyChain.js';

/**
 * A whole segment in memory — the header's gzip member, then the entries' — built from
 * entries that follow `start`, after checking their chain (the memory store keeps no JSON
 * text, so each payload's text is re-derived, as its `verify` does). A broken chain is
 * returned as the failed result; nothing is built then.
 */
export function segmentBytes(
  entries: readonly StoredEvent[],
  start: LogHead,
  checkpoints: readonly Checkpoint[],
  archivedAt: IsoInstant,
): Readonly<{ header: SegmentHeader; bytes: Uint8Array }> | Extract<VerifyResult, { ok: false }> {
  const cursor = new ChainCursor(start);
  const body = new SegmentBody();
  const lines: string[] = [];
  for (const entry of entries) {
    const failed = cursor.step(entry);
    if (failed !== undefined && !failed.ok) return failed;
    lines.push(body.line({ ...entry, dataJson: JSON.stringify(entry.data) }));
  }
  const header = body.header(checkpoints, archivedAt);
  const bytes = Buffer.concat([gzipSync(`${JSON.stringify(header)}\n`), gzipSync(lines.join(''))]);
  return { header, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}
