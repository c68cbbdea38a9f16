import type { SegmentRecord } from './ArchivingStore.js';
import type { StoredEvent } from './events.js';

/**
 * What differs between a recorded segment and the `log.archived` entry that records it (the
 * entry is part of the hash chain, so the record must agree with it): undefined when they
 * agree, else a sentence naming the first field that does not.
 */
export function factMismatch(
  record: SegmentRecord,
  fact: StoredEvent | undefined,
): string | undefined {
  if (fact === undefined) {
    return `the log has no entry #${record.factSeq}, the log.archived entry that recorded segment ${record.file}`;
  }
  if (fact.type !== 'log.archived') {
    return `entry #${record.factSeq} is ${fact.type}, not the log.archived entry that recorded segment ${record.file}`;
  }
  const { data } = fact;
  const pairs: ReadonlyArray<readonly [string, unknown, unknown]> = [
    ['segment', data.segment, record.file],
    ['firstSeq', data.firstSeq, record.firstSeq],
    ['lastSeq', data.lastSeq, record.lastSeq],
    ['count', data.count, record.count],
    ['firstPrevHash', data.firstPrevHash, record.firstPrevHash],
    ['lastHash', data.lastHash, record.lastHash],
    ['sha256', data.sha256, record.sha256],
  ];
  for (const [field, inChain, recorded] of pairs) {
    if (inChain !== recorded) {
      return `segment ${record.file} is recorded with ${field} ${String(recorded)}, but the log.archived entry #${record.factSeq} in the chain says ${String(inChain)}: the segments table was edited`;
    }
  }
  return undefined;
}
