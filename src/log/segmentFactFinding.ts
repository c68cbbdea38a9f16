import type { SegmentRecord } from './ArchivingStore.js';
import type { StoredEvent } from './events.js';
import { factMismatch } from './factMismatch.js';
import type { VerifyResult } from './verifyChain.js';

/**
 * Checks the newest segment record against its `log.archived` entry, which the live log
 * holds: the live chain is checked from that record's end hash, so a record edited to start
 * the chain elsewhere must not pass. `fact` is the live entry at `segment.factSeq`. A finding
 * is a `segment` problem at the record's end. A live log cut back before the fact (a repair
 * that accepted a lost tail, `headSeq` below it) has no fact to compare: the records then
 * stand on the segments, which `verifyArchive` checks.
 */
export function segmentFactFinding(
  segment: SegmentRecord | undefined,
  headSeq: number,
  fact: StoredEvent | undefined,
): VerifyResult | undefined {
  if (segment === undefined || headSeq < segment.factSeq) return undefined;
  const reason = factMismatch(segment, fact);
  if (reason === undefined) return undefined;
  return {
    ok: false,
    entries: segment.lastSeq,
    firstBadSeq: segment.lastSeq + 1,
    problem: 'segment',
    reason,
  };
}
