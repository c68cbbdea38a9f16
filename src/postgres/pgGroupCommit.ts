import type Pg from 'pg';
import { deepFreeze } from '../domain/deepFreeze.js';
import type { Checkpoint } from '../log/checkpoint.js';
import type { LogHead } from '../log/EventStore.js';
import { type AppendOutcome, type PendingAppend, settleAppends } from '../log/pendingAppend.js';
import {
  repeatedTriggerInBatch,
  sealDrafts,
  TRIGGERED,
  toStoredEvent,
} from '../log/prepareAppend.js';
import { projectEntries } from '../log/projection.js';
import {
  alreadySettledError,
  alreadyTriggeredError,
  expectedSeqError,
} from '../log/storeErrors.js';
import { GroupChanges, type PgProjection, referencedBy, VERIFIED } from './PgProjection.js';
import { type PgSite, pgFault } from './pgFault.js';
import { channelOf, lockKey } from './pgSchema.js';

/** One `append` call waiting for the next commit; `data` is each draft's payload, parsed. */
export type PgPendingAppend = PendingAppend & Readonly<{ data: readonly unknown[] }>;

/** What the store adds to a commit that moved the head: its signed checkpoint. */
export type PgCommitHooks = Readonly<{
  /** Inside the transaction, before the write; `time` is the last call's stamp. */
  beforeCommit(head: LogHead, time: string): Checkpoint | undefined;
  /** After the commit, with what `beforeCommit` returned. Must not throw. */
  committed(head: LogHead, checkpoint: Checkpoint | undefined): void;
}>;

/** Queues appends and commits every call made while the previous commit ran in one transaction. */
export type PgGroupCommit = Readonly<{
  enqueue(call: PgPendingAppend): void;
  /** Resolves once every queued call is committed or rejected. */
  idle(): Promise<void>;
}>;

type Outcome = AppendOutcome<PgPendingAppend>;

const TRIGGER_INDEX = 'entries_one_trigger_per_stream';

/** The unique index refused a second `occurrence.triggered` for a stream. */
const isTriggerConflict = (error: unknown): boolean =>
  (error as { code?: unknown; constraint?: unknown } | null)?.code === '23505' &&
  (error as { constraint?: unknown }).constraint === TRIGGER_INDEX;

/** The stream the index named (`Key (stream)=(occurrence:o1) already exists.`). */
const conflictStream = (error: unknown, call: PgPendingAppend): string => {
  const detail = (error as { detail?: unknown }).detail;
  const named =
    typeof detail === 'string' ? /\(stream\)=\((.*)\) already exists/.exec(detail) : null;
  return named?.[1] ?? call.drafts.find((d) => d.type === TRIGGERED)?.stream ?? '?';
};

/**
 * Group commit on PostgreSQL. Each commit costs a round trip and a WAL flush however many
 * rows it carries, so calls made while one commit runs (and all calls of one turn) are
 * committed together in the next transaction:
 *
 * 1. `BEGIN` and `pg_advisory_xact_lock` of the schema: writers on one schema (any process)
 *    take turns, so seq and hashes assigned from the head read next form one chain.
 * 2. One statement reads the head, the verified mark, the rows the entries refer to and the
 *    streams that already triggered (the fold, `projectEntries`, is synchronous).
 * 3. Each call is checked (its `expectedSeq`, a second trigger of a stream — in the batch,
 *    in the log, or earlier in the group), sealed onto the head and folded; a refused call
 *    is left out and only its promise rejects.
 * 4. One statement writes every accepted entry, the read model changes, the mark, a signed
 *    checkpoint when due, and `pg_notify` of the new head (delivered on commit); `COMMIT`.
 *
 * Under the lock the checks in 3. see every committed trigger, so the unique index on
 * triggers — the guard the storage itself keeps — only fires if something wrote to the schema
 * without the lock; then the group is rolled back and each call retried in a transaction of
 * its own, so the index decides for that call alone. A lost connection or any other fault
 * fails the whole group (nothing of it was committed) with the `StorageError` of
 * {@link pgFault}.
 */
export function createPgGroupCommit(
  deps: Readonly<{
    pool: Pg.Pool;
    projection: PgProjection;
    schema: string;
    site: PgSite;
    hooks: PgCommitHooks | undefined;
  }>,
): PgGroupCommit {
  const { pool, projection, schema, site, hooks } = deps;
  const component = site.component;
  const lock = `BEGIN; SELECT pg_advisory_xact_lock(${lockKey(schema)})`;
  const channel = channelOf(schema);
  let queue: PgPendingAppend[] = [];
  let running: Promise<void> | undefined;

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) {
        const calls = queue;
        queue = [];
        // Whatever goes wrong, every call of the group is answered (a settled promise
        // ignores a second answer), and the queue keeps draining.
        await commitGroup(calls, true).catch((error: unknown) => {
          for (const call of calls) call.reject(pgFault(error, site));
        });
      }
    } finally {
      running = undefined;
    }
  }

  async function commitGroup(calls: readonly PgPendingAppend[], mayRetry: boolean): Promise<void> {
    let client: Pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      const fault = pgFault(error, site);
      for (const call of calls) call.reject(fault);
      return;
    }
    const outcomes: Outcome[] = [];
    let head: LogHead;
    let checkpoint: Checkpoint | undefined;
    let moved = false;
    try {
      await client.query(lock);
      const state = await projection.prefetch(
        client,
        referencedBy(
          calls.flatMap((call) =>
            call.drafts.map((d, i) => ({ type: d.type, stream: d.stream, data: call.data[i] })),
          ),
        ),
      );
      const start = state.head;
      const changes = new GroupChanges();
      const rows = [];
      for (const call of calls) {
        const before = state.head;
        if (call.expectedSeq !== undefined && call.expectedSeq !== before.seq) {
          outcomes.push({ call, error: expectedSeqError(component, call.expectedSeq, before.seq) });
          continue;
        }
        const repeated =
          repeatedTriggerInBatch(call.drafts) ??
          call.drafts.find((d) => d.type === TRIGGERED && state.triggered.has(d.stream))?.stream;
        if (repeated !== undefined) {
          outcomes.push({ call, error: alreadyTriggeredError(component, repeated) });
          continue;
        }
        const sealed = sealDrafts(call.drafts, before, call.time);
        const stored = sealed.map((entry, i) => toStoredEvent(entry, deepFreeze(call.data[i])));
        const projected = projectEntries(stored, state);
        if (projected.repeatedTrigger !== undefined) {
          outcomes.push({
            call,
            error: alreadyTriggeredError(component, projected.repeatedTrigger),
          });
          continue;
        }
        if (projected.settledAlready !== undefined) {
          outcomes.push({ call, error: alreadySettledError(component, projected.settledAlready) });
          continue;
        }
        state.accept(projected, stored);
        changes.add(projected);
        for (let i = 0; i < sealed.length; i++) {
          rows.push({ ...sealed[i]!, taskId: projected.taskIds[i]! });
        }
        outcomes.push({ call, stored });
      }
      head = state.head;
      moved = head.seq > start.seq;
      if (moved) {
        // Entries this store chained onto a verified head are known good: the mark moves.
        const atMark =
          state.mark === undefined
            ? start.seq === 0
            : state.mark.seq === start.seq && state.mark.hash === start.hash;
        const stateRows = new Map<string, string>();
        if (atMark) stateRows.set(VERIFIED, JSON.stringify({ seq: head.seq, hash: head.hash }));
        checkpoint = hooks?.beforeCommit(head, calls[calls.length - 1]!.time);
        await projection.write(client, {
          entries: rows,
          changes,
          fromSeq: start.seq + 1,
          state: stateRows,
          checkpoint,
          channel,
          head,
        });
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      // A connection that failed is not handed back to the pool.
      client.release(isTriggerConflict(error) ? undefined : true);
      if (isTriggerConflict(error)) {
        if (mayRetry && calls.length > 1) {
          for (const call of calls) await commitGroup([call], false);
          return;
        }
        for (const call of calls)
          call.reject(alreadyTriggeredError(component, conflictStream(error, call)));
        return;
      }
      const fault = pgFault(error, { ...site, operation: 'append to' });
      for (const call of calls) call.reject(fault);
      return;
    }
    client.release();
    if (moved) hooks?.committed(head, checkpoint);
    settleAppends(outcomes);
  }

  return {
    enqueue(call) {
      queue.push(call);
      // A promise job rather than a timer: fake timers cannot capture it, and every call of
      // this turn is queued by the time it runs.
      running ??= Promise.resolve().then(drain);
    },
    async idle() {
      while (running !== undefined) await running;
    },
  };
}
