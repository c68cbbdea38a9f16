import type { LogHead } from './EventStore.js';
import type { StoredEvent } from './events.js';
import { entryHash, GENESIS_HASH } from './hashChain.js';

/**
 * What a failed verification found. The first two come from the chain walk, the others from
 * signed checkpoints (see `verifyCheckpoints` and docs/security.md):
 * - `chain`: an entry was changed, removed or reordered without recomputing the chain;
 * - `unreadable`: the storage cannot read the entries from `firstBadSeq` on;
 * - `bad-checkpoint`: a checkpoint names the given public key but its signature does not
 *   verify, or the head file is not a checkpoint at all;
 * - `forged`: a checkpoint's (seq, hash) is not the chain's: the chain was rewritten and
 *   recomputed (or the checkpoint was planted);
 * - `truncated`: the log ends before an entry a checkpoint or the head file names: the tail
 *   was removed (rows deleted, the `-wal` lost, the file cut short);
 * - `unsigned`: a public key was given, but no checkpoint is signed by it (a wrong key, or
 *   every checkpoint was removed);
 * - `expected-head`: the entry named by `expectHead` is missing or has another hash.
 */
export type VerifyProblem =
  | 'chain'
  | 'unreadable'
  | 'bad-checkpoint'
  | 'forged'
  | 'truncated'
  | 'unsigned'
  | 'expected-head';

/** Outcome of checking a log: its hash chain and, when asked, its signed checkpoints. */
export type VerifyResult =
  | Readonly<{
      ok: true;
      entries: number;
      headHash: string;
      /**
       * The last entry a checkpoint signed by the given public key vouches for (with it, the
       * whole chain before it); present only when a public key was given. Entries after it
       * are not signed yet.
       */
      signedUpTo?: number;
    }>
  | Readonly<{
      ok: false;
      /** Entries before `firstBadSeq`: those the check still vouches for. */
      entries: number;
      /**
       * Sequence number of the first entry that does not verify (or the first missing one);
       * for a checkpoint finding, the first entry no sound checkpoint vouches for.
       */
      firstBadSeq: number;
      problem: VerifyProblem;
      reason: string;
    }>;

/**
 * Walks a log in order and checks, for every entry: the sequence number follows the previous
 * one without a gap, `prevHash` equals the previous entry's hash, and `hash` matches the
 * entry's content. Any changed byte, removed or reordered entry breaks one of these.
 *
 * `dataJsonOf` returns the payload's JSON text as stored; stores that keep the raw text pass
 * it through so verification does not depend on re-serialisation. `after` starts the walk
 * past an entry already verified (the batches then begin with the entry after it); `entries`
 * still counts from the start of the log.
 */
export async function verifyChain(
  batches: AsyncIterable<readonly StoredEvent[]> | Iterable<readonly StoredEvent[]>,
  dataJsonOf: (event: StoredEvent) => string = (event) => JSON.stringify(event.data),
  after: LogHead = { seq: 0, hash: GENESIS_HASH },
): Promise<VerifyResult> {
  let expectedSeq = after.seq + 1;
  let prevHash = after.hash;
  // Built once, not per entry: a closure per entry showed up in profiles of long logs.
  const fail = (reason: string): VerifyResult => ({
    ok: false,
    entries: expectedSeq - 1,
    firstBadSeq: expectedSeq,
    problem: 'chain',
    reason,
  });
  for await (const batch of batches) {
    for (const event of batch) {
      if (event.seq !== expectedSeq) {
        return fail(
          `expected entry #${expectedSeq}, found #${event.seq} (entries missing or reordered)`,
        );
      }
      if (event.prevHash !== prevHash) {
        return fail(`entry #${event.seq} does not chain to entry #${event.seq - 1}`);
      }
      const hash = entryHash({
        seq: event.seq,
        id: event.id,
        type: event.type,
        time: event.time,
        stream: event.stream,
        schemaVersion: event.schemaVersion,
        prevHash: event.prevHash,
        dataJson: dataJsonOf(event),
      });
      if (hash !== event.hash) {
        return fail(`entry #${event.seq} was changed after it was written (hash mismatch)`);
      }
      prevHash = event.hash;
      expectedSeq++;
    }
  }
  return { ok: true, entries: expectedSeq - 1, headHash: prevHash };
}
