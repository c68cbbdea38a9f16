import type Database from 'better-sqlite3';
import type { Checkpoint } from '../log/checkpoint.js';
import type { LogHead } from '../log/EventStore.js';
import { type AppendOutcome, type PendingAppend, settleAppends } from '../log/pendingAppend.js';
import { type SealedEntry, sealDrafts, toStoredEvent } from '../log/prepareAppend.js';
import {
  alreadySettledError,
  alreadyTriggeredError,
  expectedSeqError,
} from '../log/storeErrors.js';
import { loadBetterSqlite3 } from './loadBetterSqlite3.js';
import { insertEntry, type LogStatements, readHead } from './logStatements.js';
import type { SqliteProjection } from './sqliteProjection.js';
import { storageFault } from './storageFault.js';
import type { VerifiedMark } from './VerifiedMark.js';

/** Queues appends and commits every call made in the same turn in one transaction. */
export type GroupCommit = Readonly<{
  enqueue(call: PendingAppend): void;
  /** Commits whatever is queued now (used by `close`, so no accepted append is dropped). */
  flushNow(): void;
}>;

/**
 * What a store adds to each commit that moved the head (its signed checkpoints): rows
 * written inside the transaction, after the group's entries, and work after it committed.
 */
export type CommitHooks = Readonly<{
  /** Inside the transaction; `time` is the last call's stamp. May write rows (or throw). */
  beforeCommit(head: LogHead, time: string): Checkpoint | undefined;
  /** After the commit, with what `beforeCommit` returned. Must not throw. */
  committed(head: LogHead, checkpoint: Checkpoint | undefined): void;
}>;

type Outcome = AppendOutcome;

// The driver is loaded already: a group commit exists only for a database it opened.
const isTriggerConflict = (error: unknown): boolean =>
  error instanceof loadBetterSqlite3().SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE';

/**
 * Group commit. A commit costs one fsync (with `synchronous = FULL`) however many rows it
 * carries, so calls queued during one synchronous run are flushed together on the next
 * microtask. Each call with more than one entry runs inside its own SAVEPOINT: a call that
 * fails (a duplicate trigger caught by the unique index, a stale `expectedSeq`) is rolled
 * back alone and only its promise rejects, while the rest of the group commits. A single-row
 * call needs no savepoint: SQLite already undoes a failed statement by itself.
 *
 * Seq and hashes are assigned inside the transaction, from the head read under the write
 * lock, so the chain stays linear even when several connections write to one file. Each
 * call's entries are projected into the read model tables in the same savepoint, after they
 * were inserted, so the projection never holds what the log does not. When the head at the
 * start of the transaction is the verified mark, the entries this store chains onto it are
 * known good too, and the mark moves with them in the same transaction.
 */
export function createGroupCommit(
  db: Database.Database,
  statements: LogStatements,
  projection: SqliteProjection,
  mark: VerifiedMark,
  component: string,
  path: string,
  hooks?: CommitHooks,
): GroupCommit {
  let queue: PendingAppend[] = [];
  let scheduled = false;
  /**
   * The head this group commit committed last. When the next transaction finds it still the
   * head, no other writer committed in between, so the records the projection kept from its
   * own writes are what the table holds.
   */
  let committedHead: LogHead | undefined;

  const applyCall = (call: PendingAppend, head: LogHead): Outcome => {
    if (call.expectedSeq !== undefined && call.expectedSeq !== head.seq) {
      return { call, error: expectedSeqError(component, call.expectedSeq, head.seq) };
    }
    const sealed = sealDrafts(call.drafts, head, call.time);
    const stored = sealed.map((entry) => toStoredEvent(entry, JSON.parse(entry.dataJson)));
    const changes = projection.projectOwn(stored);
    if (changes.repeatedTrigger !== undefined) {
      return { call, error: alreadyTriggeredError(component, changes.repeatedTrigger) };
    }
    if (changes.settledAlready !== undefined) {
      return { call, error: alreadySettledError(component, changes.settledAlready) };
    }
    const guarded = sealed.length > 1;
    if (guarded) statements.savepoint.run();
    let current: SealedEntry | undefined;
    try {
      for (let i = 0; i < sealed.length; i++) {
        current = sealed[i]!;
        insertEntry(statements, current, changes.taskIds[i]!);
      }
      projection.write(changes, head.seq + 1, true);
      if (guarded) statements.release.run();
      return { call, stored };
    } catch (error) {
      // Rolled back (or about to be, with the whole group): forget what was kept of it.
      projection.forgetRunning();
      if (!isTriggerConflict(error) || current === undefined) throw error;
      if (guarded) {
        statements.rollbackToSavepoint.run();
        statements.release.run();
      }
      return { call, error: alreadyTriggeredError(component, current.stream) };
    }
  };

  const flushNow = (): void => {
    scheduled = false;
    const calls = queue;
    queue = [];
    if (calls.length === 0) return;
    const outcomes: Outcome[] = [];
    let head: LogHead | undefined;
    let checkpoint: Checkpoint | undefined;
    let moved = false;
    try {
      statements.begin.run();
      head = readHead(statements);
      if (committedHead?.seq !== head.seq || committedHead.hash !== head.hash) {
        projection.forgetRunning();
      }
      committedHead = undefined;
      const startSeq = head.seq;
      const known = mark.isAt(head);
      for (const call of calls) {
        const outcome = applyCall(call, head);
        if ('stored' in outcome) {
          const last = outcome.stored[outcome.stored.length - 1];
          if (last !== undefined) head = { seq: last.seq, hash: last.hash };
        }
        outcomes.push(outcome);
      }
      moved = head.seq > startSeq;
      if (known && moved) mark.advance(head);
      if (moved && hooks !== undefined) {
        checkpoint = hooks.beforeCommit(head, calls[calls.length - 1]!.time);
      }
      statements.commit.run();
      committedHead = head;
    } catch (error) {
      projection.forgetRunning();
      // An I/O or unexpected error poisons the whole group: nothing of it was committed.
      try {
        if (db.inTransaction) statements.rollback.run();
      } catch {
        // SQLite rolls back by itself when the rollback cannot be written either.
      }
      try {
        mark.reload();
      } catch {
        // Unreadable now; the next open checks the mark again.
      }
      const fault = storageFault(error, { component, path, operation: 'append to' });
      for (const call of calls) call.reject(fault);
      return;
    }
    if (moved) hooks?.committed(head!, checkpoint);
    settleAppends(outcomes);
  };

  return {
    enqueue(call) {
      queue.push(call);
      if (scheduled) return;
      scheduled = true;
      // A promise job rather than setImmediate/queueMicrotask: fake timers cannot capture it,
      // so appends still commit under a faked clock.
      void Promise.resolve().then(flushNow);
    },
    flushNow,
  };
}
