import { createHash } from 'node:crypto';
import type { IsoInstant } from '../domain/types.js';
import type { Checkpoint } from './checkpoint.js';
import type { SealedEntry } from './prepareAppend.js';
import { entryLine, SEGMENT_FORMAT, type SegmentHeader } from './segmentFormat.js';

/**
 * The entry lines of a segment being written, in seq order, and the header that describes
 * them once the last is in: the range, the boundary hashes and the sha256 of the lines.
 * The writer checks the chain itself (with `verifyChain`) before it trusts the range.
 */
export class SegmentBody {
  readonly #digest = createHash('sha256');
  #count = 0;
  #first: SealedEntry | undefined;
  #last: SealedEntry | undefined;

  /** The entry's line with its newline, counted into the sha256. */
  line(entry: SealedEntry): string {
    const line = `${entryLine(entry)}\n`;
    this.#digest.update(line);
    this.#first ??= entry;
    this.#last = entry;
    this.#count++;
    return line;
  }

  get count(): number {
    return this.#count;
  }

  /** The header of the lines so far (call once, after the last line). */
  header(checkpoints: readonly Checkpoint[], archivedAt: IsoInstant): SegmentHeader {
    const first = this.#first;
    const last = this.#last;
    if (first === undefined || last === undefined) throw new Error('a segment needs an entry');
    return Object.freeze({
      format: SEGMENT_FORMAT,
      firstSeq: first.seq,
      lastSeq: last.seq,
      count: this.#count,
      firstPrevHash: first.prevHash,
      lastHash: last.hash,
      sha256: this.#digest.digest('hex'),
      checkpoints: Object.freeze([...checkpoints]),
      archivedAt,
    });
  }
}
