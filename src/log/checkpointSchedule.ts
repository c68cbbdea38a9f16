import { type Checkpoint, signCheckpoint } from './checkpoint.js';
import type { LogHead } from './EventStore.js';
import type { CheckpointSigner } from './signingKey.js';

/**
 * How often a store with a signing key signs its head: after this many entries, or at the
 * first commit once this many milliseconds have passed since the last checkpoint, whichever
 * comes first — and always on `close()`. `Infinity` turns one of the two off.
 */
export type CheckpointEvery = Readonly<{
  /** @default 1000 */
  entries?: number;
  /** @default 60000 */
  ms?: number;
}>;

/** {@link CheckpointEvery} with defaults filled in. */
export type ResolvedCheckpointEvery = Readonly<{ entries: number; ms: number }>;

/**
 * The defaults: a checkpoint per 1 000 entries costs one signature (~40 µs) and one row per
 * 1 000, so it is invisible in append throughput; a minute bounds how long a slow log goes
 * unsigned.
 */
export const DEFAULT_CHECKPOINT_EVERY: ResolvedCheckpointEvery = Object.freeze({
  entries: 1000,
  ms: 60_000,
});

/**
 * Decides when a store signs. A store asks {@link CheckpointSchedule.due} inside the
 * transaction that moved its head (so the checkpoint commits with the entries or not at
 * all), stores what it gets, and reports it with {@link CheckpointSchedule.recorded} once
 * committed; a rolled-back checkpoint is simply asked for again at the next commit.
 */
export type CheckpointSchedule = Readonly<{
  /** A signed checkpoint of `head` when one is due at `nowMs`, else undefined. */
  due(head: LogHead, nowMs: number): Checkpoint | undefined;
  /** A checkpoint of `head` at close, unless the last one already covers it. */
  final(head: LogHead, nowMs: number): Checkpoint | undefined;
  /** The checkpoint was committed: count entries and time from it. */
  recorded(checkpoint: Checkpoint): void;
}>;

/**
 * A schedule starting from the last checkpoint the store holds (or from `nowMs` and an
 * empty log when it holds none), so a reopened store keeps the cadence of the one before.
 */
export function checkpointSchedule(
  signer: CheckpointSigner,
  every: ResolvedCheckpointEvery,
  last: Checkpoint | undefined,
  nowMs: number,
): CheckpointSchedule {
  let lastSeq = last?.seq ?? 0;
  let lastMs = last === undefined ? nowMs : Date.parse(last.time);
  return Object.freeze({
    due(head: LogHead, now: number) {
      if (head.seq <= lastSeq) return undefined;
      if (head.seq - lastSeq < every.entries && now - lastMs < every.ms) return undefined;
      return signCheckpoint(signer, head, now);
    },
    final(head: LogHead, now: number) {
      return head.seq > lastSeq ? signCheckpoint(signer, head, now) : undefined;
    },
    recorded(checkpoint: Checkpoint) {
      if (checkpoint.seq <= lastSeq) return;
      lastSeq = checkpoint.seq;
      lastMs = Date.parse(checkpoint.time);
    },
  });
}
