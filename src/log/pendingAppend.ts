import type { StoredEvent } from './events.js';
import type { DraftEvent } from './prepareAppend.js';

/** One `append` call waiting for a store's next group commit. */
export type PendingAppend = Readonly<{
  drafts: readonly DraftEvent[];
  expectedSeq: number | undefined;
  time: string;
  resolve(events: readonly StoredEvent[]): void;
  reject(error: unknown): void;
}>;

/** What a group commit decided for one call: its stored entries, or why it was refused. */
export type AppendOutcome<C extends PendingAppend = PendingAppend> =
  | { call: C; stored: readonly StoredEvent[] }
  | { call: C; error: unknown };

/** Answers every call of a committed group, in order: resolved with its entries or rejected. */
export function settleAppends(outcomes: readonly AppendOutcome[]): void {
  for (const outcome of outcomes) {
    if ('error' in outcome) outcome.call.reject(outcome.error);
    else outcome.call.resolve(outcome.stored);
  }
}
