import type { CorruptLogError } from '../domain/errors.js';
import type { CheckpointedStore } from '../log/CheckpointedStore.js';
import type { Checkpoint } from '../log/checkpoint.js';
import type { SigningOptions } from '../log/checkpointOptions.js';
import type { AppendOptions, LogHead, ReadOptions, StoreClock } from '../log/EventStore.js';
import type { NewEvent, StoredEvent } from '../log/events.js';
import { draftEvents, timeStamper } from '../log/prepareAppend.js';
import { readOnlyStoreError, storeClosedError } from '../log/storeErrors.js';
import { resolveAppendOptions, resolveReadOptions } from '../log/storeOptions.js';
import type { VerifyResult } from '../log/verifyChain.js';
import {
  resolveVerifyOptions,
  type VerifyOptions,
  verifyCheckpoints,
} from '../log/verifyCheckpoints.js';
import { createGroupCommit } from './groupCommit.js';
import { integrityError, integrityProblems } from './integrityProblems.js';
import { prepareLogStatements, readHead, readPage, rowToStoredEvent } from './logStatements.js';
import { type LogDatabase, openLogDatabase, type SynchronousMode } from './openLogDatabase.js';
import { openCheckpoints, refuseLostLog } from './sqliteCheckpoints.js';
import { resolveSqliteStoreOptions } from './sqliteStoreOptions.js';
import { type FaultSite, guarded, storageFault } from './storageFault.js';
import { corruptLogError, verifyLogRows } from './verifyLog.js';

const COMPONENT = 'sqliteStore';

/** Options of {@link sqliteStore}; `signingKey` and `checkpointEvery` are the `SigningOptions`. */
export type SqliteStoreOptions = Readonly<{
  /** File of the log; created (with its schema) when missing, unless `readOnly`. */
  path: string;
  /**
   * Open for reading only, for tools that never write: the file must already be a PlanFlow
   * log of this version. Nothing is created, converted, migrated or written — a missing,
   * empty or foreign file is refused with a `StorageError` — and `append` rejects with
   * `planflow:storage-read-only`. Works on a read-only file; its directory must be writable
   * (SQLite keeps its `-shm` file there) unless that file exists. @default false
   */
  readOnly?: boolean;
  /**
   * `FULL` fsyncs every commit, so an acknowledged append survives a power loss. `NORMAL`
   * (safe with WAL: never corrupts) may lose the last commits on power loss or an OS crash,
   * not on a process crash. Group commit makes `FULL` affordable. @default 'FULL'
   */
  synchronous?: SynchronousMode;
  /** Time source for `time` stamps. @default Date.now */
  clock?: StoreClock;
  /**
   * Check the whole file before accepting it: SQLite's `integrity_check` (pages and indexes,
   * among them the one that keeps an occurrence from triggering twice) and the hash chain.
   * The schema is checked on every open regardless. @default true
   */
  verifyOnOpen?: boolean;
}> &
  SigningOptions;

/** An SQLite-backed event store that can also check its own file. */
export interface SqliteStore extends CheckpointedStore {
  /** The file this store writes to. */
  readonly path: string;
  /**
   * Checks the hash chain of everything committed so far (appends keep working meanwhile),
   * then the checkpoints in the file and its head file (`<path>.head`) against it.
   */
  verify(options?: VerifyOptions): Promise<VerifyResult>;
}

/** Checks pages, indexes and the chain of a just-opened file; closes it when they fail. */
async function verifyOpened(log: LogDatabase, path: string): Promise<void> {
  let failure: CorruptLogError | undefined;
  try {
    const problems = guarded({ component: COMPONENT, path, operation: 'check' }, () =>
      integrityProblems(log.db),
    );
    failure =
      problems.length > 0
        ? integrityError(COMPONENT, path, problems)
        : corruptLogError(COMPONENT, path, await verifyLogRows(prepareLogStatements(log.db)));
  } catch (error) {
    log.close();
    throw storageFault(error, { component: COMPONENT, path, operation: 'verify' });
  }
  if (failure !== undefined) {
    log.close();
    throw failure;
  }
}

/**
 * Opens (or creates) an SQLite event log — the embedded default for anything that must
 * survive a restart. Appends made in one turn share one transaction (group commit); the
 * storage's unique index guarantees one `occurrence.triggered` per occurrence even across
 * processes sharing the file. The schema that index belongs to is checked on every open;
 * with `verifyOnOpen` SQLite's integrity check and the hash chain run too, and a changed,
 * torn or damaged log is refused with a {@link CorruptLogError}, never silently truncated.
 * Storage faults (read-only, missing, full, I/O) surface as a `StorageError`.
 *
 * @example
 * import { sqliteStore } from 'planflow/sqlite';
 * const store = await sqliteStore({ path: 'planflow.db' });
 */
export async function sqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  const { path, synchronous, verifyOnOpen, readOnly, clock, signing } =
    resolveSqliteStoreOptions(options);
  const stampTime = timeStamper(COMPONENT, clock);
  guarded({ component: COMPONENT, path, operation: 'open' }, () => refuseLostLog(COMPONENT, path));
  const log = openLogDatabase(path, { component: COMPONENT, synchronous, readOnly });
  const { db } = log;
  if (verifyOnOpen) await verifyOpened(log, path);
  const site = (operation: string): FaultSite => ({ component: COMPONENT, path, operation });
  const { statements, checkpoints } = guarded(site('open'), () => {
    try {
      const prepared = prepareLogStatements(db);
      const head = readHead(prepared);
      const opened = openCheckpoints(
        db,
        { component: COMPONENT, path },
        { signing, check: verifyOnOpen, head, clock },
      );
      return { statements: prepared, checkpoints: opened };
    } catch (error) {
      log.close();
      throw error;
    }
  });
  const commits = createGroupCommit(db, statements, COMPONENT, path, checkpoints.hooks);
  let closed = false;

  const ensureOpen = (operation: string): void => {
    if (closed) throw storeClosedError(COMPONENT, operation);
  };

  const append = async (
    events: readonly NewEvent[],
    appendOptions?: AppendOptions,
  ): Promise<readonly StoredEvent[]> => {
    ensureOpen('append');
    const { expectedSeq } = resolveAppendOptions(COMPONENT, appendOptions);
    const drafts = draftEvents(COMPONENT, events);
    if (readOnly) throw readOnlyStoreError(COMPONENT, path);
    const time = stampTime();
    return new Promise((resolve, reject) => {
      commits.enqueue({ drafts, expectedSeq, time, resolve, reject });
    });
  };

  async function* read(readOptions?: ReadOptions): AsyncGenerator<readonly StoredEvent[]> {
    ensureOpen('read');
    const { fromSeq, toSeq, batchSize } = resolveReadOptions(COMPONENT, readOptions);
    // Keyset paging with all(): no statement stays open between batches, so appends can
    // commit while a slow consumer folds what it has.
    let next = fromSeq;
    while (next <= toSeq) {
      ensureOpen('read');
      const rows = guarded(site('read'), () => readPage(statements, next, toSeq, batchSize));
      if (rows.length === 0) return;
      const batch = new Array<StoredEvent>(rows.length);
      for (let i = 0; i < rows.length; i++) batch[i] = rowToStoredEvent(rows[i]!);
      yield batch;
      if (rows.length < batchSize) return;
      next = rows[rows.length - 1]![0] + 1;
    }
  }

  return {
    path,
    append,
    read,
    async head(): Promise<LogHead> {
      ensureOpen('head');
      return guarded(site('read the head of'), () => readHead(statements));
    },
    async verify(verifyOptions?: VerifyOptions): Promise<VerifyResult> {
      ensureOpen('verify');
      resolveVerifyOptions(COMPONENT, verifyOptions);
      try {
        // Read before the walk: whatever a checkpoint names was committed before it starts.
        const evidence = checkpoints.evidence();
        const chain = await verifyLogRows(statements, () => ensureOpen('verify'));
        return verifyCheckpoints(chain, evidence, verifyOptions);
      } catch (error) {
        throw storageFault(error, site('verify'));
      }
    },
    async checkpoints(): Promise<readonly Checkpoint[]> {
      ensureOpen('checkpoints');
      return guarded(site('read the checkpoints of'), () => checkpoints.all());
    },
    async close(): Promise<void> {
      if (closed) return;
      commits.flushNow();
      closed = true;
      try {
        if (!readOnly) guarded(site('close'), () => checkpoints.close());
      } finally {
        guarded(site('close'), () => log.close());
      }
    },
  };
}
