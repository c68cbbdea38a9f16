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
 * - `expected-head`: the entry named by `expectHead` is missing or has another hash;
 * - `segment`: an archive segment is missing, given twice, not the one the log recorded
 *   (its sha256 or range differ from the `segments` table or the `log.archived` entry), or
 *   the live log does not start where the recorded segments end.
 */
export type VerifyProblem =
  | 'chain'
  | 'unreadable'
  | 'bad-checkpoint'
  | 'forged'
  | 'truncated'
  | 'unsigned'
  | 'expected-head'
  | 'segment';

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
 * The chain check, one entry at a time: each entry must follow the previous one without a
 * gap, carry its hash as `prevHash`, and hash to its own `hash`. `verifyChain` walks batches
 * with it; a reader that hands entries on as it checks them (an archive segment) steps it
 * itself.
 */
export class ChainCursor {
  readonly #dataJsonOf: (event: StoredEvent) => string;
  #expectedSeq: number;
  #prevHash: string;

  constructor(
    after: LogHead = { seq: 0, hash: GENESIS_HASH },
    dataJsonOf: (event: StoredEvent) => string = (event) => JSON.stringify(event.data),
  ) {
    this.#expectedSeq = after.seq + 1;
    this.#prevHash = after.hash;
    this.#dataJsonOf = dataJsonOf;
  }

  /** Checks the next entry: undefined when it chains, else the failed result. */
  step(event: StoredEvent): VerifyResult | undefined {
    if (event.seq !== this.#expectedSeq) {
      return this.#fail(
        `expected entry #${this.#expectedSeq}, found #${event.seq} (entries missing or reordered)`,
      );
    }
    if (event.prevHash !== this.#prevHash) {
      return this.#fail(`entry #${event.seq} does not chain to entry #${event.seq - 1}`);
    }
    const hash = entryHash({
      seq: event.seq,
      id: event.id,
      type: event.type,
      time: event.time,
      stream: event.stream,
      schemaVersion: event.schemaVersion,
      prevHash: event.prevHash,
      dataJson: this.#dataJsonOf(event),
    });
    if (hash !== event.hash) {
      return this.#fail(`entry #${event.seq} was changed after it was written (hash mismatch)`);
    }
    this.#prevHash = event.hash;
    this.#expectedSeq++;
    return undefined;
  }

  /** The entries checked so far, as a successful result. */
  result(): VerifyResult {
    return { ok: true, entries: this.#expectedSeq - 1, headHash: this.#prevHash };
  }

  #fail(reason: string): VerifyResult {
    return {
      ok: false,
      entries: this.#expectedSeq - 1,
      firstBadSeq: this.#expectedSeq,
      problem: 'chain',
      reason,
    };
  }
}

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
  const cursor = new ChainCursor(after, dataJsonOf);
  for await (const batch of batches) {
    for (const event of batch) {
      const failed = cursor.step(event);
      if (failed !== undefined) return failed;
    }
  }
  return cursor.result();
}
