import { CorruptLogError, StorageError } from '../domain/errors.js';
import type { ArchiveOptions, ArchiveResult, ArchivingStore } from '../log/ArchivingStore.js';
import type { Checkpoint } from '../log/checkpoint.js';
import type { SigningOptions } from '../log/checkpointOptions.js';
import type { AppendOptions, LogHead, ReadOptions, StoreClock } from '../log/EventStore.js';
import { rowToStoredEvent } from '../log/entryRow.js';
import type { NewEvent, StoredEvent } from '../log/events.js';
import { draftEvents, timeStamper } from '../log/prepareAppend.js';
import { RetentionCadence } from '../log/RetentionCadence.js';
import { type RetentionOptions, resolveArchiveRun } from '../log/retentionOptions.js';
import { readOnlyStoreError, storeClosedError } from '../log/storeErrors.js';
import { resolveAppendOptions, resolveReadOptions } from '../log/storeOptions.js';
import type { VerifyResult } from '../log/verifyChain.js';
import {
  resolveVerifyOptions,
  type VerifyOptions,
  verifyCheckpoints,
} from '../log/verifyCheckpoints.js';
import { prepareCheckpointTable } from './checkpointTable.js';
import { type CommitHooks, createGroupCommit } from './groupCommit.js';
import { integrityError, integrityProblems } from './integrityProblems.js';
import { type LogStatements, prepareLogStatements, readHead, readPage } from './logStatements.js';
import { type LogDatabase, openLogDatabase, type SynchronousMode } from './openLogDatabase.js';
import { SqliteArchiver } from './SqliteArchiver.js';
import { prepareSegmentTable, type SegmentTable } from './segmentTable.js';
import { openCheckpoints, refuseLostLog } from './sqliteCheckpoints.js';
import { sqliteLeases } from './sqliteLeases.js';
import { SqliteProjection } from './sqliteProjection.js';
import { resolveSqliteStoreOptions, type VerifyOnOpen } from './sqliteStoreOptions.js';
import { type FaultSite, guarded, storageFault } from './storageFault.js';
import { VerifiedMark } from './VerifiedMark.js';
import { corruptLogError, verifyLogRows } from './verifyLog.js';
import { segmentFactProblem } from './verifySegmentFact.js';

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
   * What to check before accepting the file. The schema is checked on every open.
   * - `'new'`: the hash chain of every entry after the verified mark (what no PlanFlow store
   *   verified or wrote onto a verified chain before), and that the entry the mark names is
   *   unchanged. Costs what was appended since, not the length of the history.
   * - `'full'` (or `true`): SQLite's `integrity_check` (pages and indexes, among them the one
   *   that keeps an occurrence from triggering twice) and the whole hash chain.
   * - `false`: nothing beyond the schema.
   * @default 'new'
   */
  verifyOnOpen?: VerifyOnOpen | boolean;
  /**
   * Archive entries older than `keepFinishedFor` into sealed segments in `archiveDir`, on
   * open and then on a cadence; settled occurrences whose entries all moved leave the read
   * model. Not with `readOnly`. See docs/storage.md, "Retention and archives".
   * @default undefined (keep everything in the live log)
   */
  retention?: RetentionOptions;
}> &
  SigningOptions;

/** An SQLite-backed event store that can also check its own file. */
export interface SqliteStore extends ArchivingStore {
  /** The file this store writes to. */
  readonly path: string;
  /**
   * Checks the hash chain of everything committed so far (appends keep working meanwhile),
   * then the checkpoints in the file and its head file (`<path>.head`) against it.
   */
  verify(options?: VerifyOptions): Promise<VerifyResult>;
  /**
   * Moves the entries older than `before` (default: now minus `retention.keepFinishedFor`)
   * into one sealed segment in `archiveDir` (default `<path>.archive`). Appends go on while
   * it writes the segment; recording it is one transaction. Resolves with `segment`
   * undefined when nothing is old enough.
   */
  archive(options?: ArchiveOptions): Promise<ArchiveResult>;
}

/**
 * Checks a just-opened file as `verifyOnOpen` asks — pages and indexes and the whole chain
 * (`'full'`), or the chain after the verified mark (`'new'`) — and moves the mark to the
 * head it verified (unless read-only). Closes the file when a check fails.
 */
async function verifyOpened(
  log: LogDatabase,
  statements: LogStatements,
  segments: SegmentTable,
  mark: VerifiedMark,
  path: string,
  mode: VerifyOnOpen,
): Promise<void> {
  let failure: CorruptLogError | undefined;
  try {
    const problems =
      mode === 'full'
        ? guarded({ component: COMPONENT, path, operation: 'check' }, () =>
            integrityProblems(log.db),
          )
        : [];
    if (problems.length > 0) failure = integrityError(COMPONENT, path, problems);
    else {
      const after = mode === 'full' ? undefined : mark.check(COMPONENT, path);
      const walked = await verifyLogRows(statements, () => {}, after);
      const result = (walked.ok && segmentFactProblem(log.db, segments.last())) || walked;
      failure = corruptLogError(COMPONENT, path, result);
      if (result.ok && !log.readOnly && result.entries > mark.current.seq) {
        mark.advance({ seq: result.entries, hash: result.headHash });
      }
    }
  } catch (error) {
    log.close();
    throw error instanceof CorruptLogError
      ? error
      : storageFault(error, { component: COMPONENT, path, operation: 'verify' });
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
  const { path, synchronous, verifyOnOpen, readOnly, clock, signing, retention } =
    resolveSqliteStoreOptions(options);
  const stampTime = timeStamper(COMPONENT, clock);
  guarded({ component: COMPONENT, path, operation: 'open' }, () => refuseLostLog(COMPONENT, path));
  const log = openLogDatabase(path, { component: COMPONENT, synchronous, readOnly });
  const { db } = log;
  const site = (operation: string): FaultSite => ({ component: COMPONENT, path, operation });
  const { statements, projection, mark, segments } = guarded(site('open'), () => {
    try {
      return {
        statements: prepareLogStatements(db),
        projection: new SqliteProjection(db),
        mark: new VerifiedMark(db),
        segments: prepareSegmentTable(db),
      };
    } catch (error) {
      log.close();
      throw error;
    }
  });
  // Signed evidence first: with a key, a contradiction is named as what it is (forged,
  // truncated) before the verified mark would refuse the same file less precisely.
  const checkpoints = guarded(site('open'), () => {
    try {
      return openCheckpoints(
        db,
        { component: COMPONENT, path },
        { signing, check: verifyOnOpen !== false, head: readHead(statements), clock },
      );
    } catch (error) {
      log.close();
      throw error;
    }
  });
  if (verifyOnOpen !== false)
    await verifyOpened(log, statements, segments, mark, path, verifyOnOpen);
  let closed = false;
  let closing = false;

  const ensureOpen = (operation: string): void => {
    if (closed) throw storeClosedError(COMPONENT, operation);
  };

  // Retention: a run on open, then one whenever a commit finds the cadence due.
  const cadence = retention === undefined ? undefined : new RetentionCadence(retention);
  const runRetention = (headSeq: number): void => {
    if (cadence === undefined || retention === undefined) return;
    const nowMs = clock.now();
    cadence.started(headSeq, nowMs);
    archiver
      .run(resolveArchiveRun(COMPONENT, undefined, { nowMs, retention }))
      .then(retention.onArchived, (error: unknown) => {
        if (!closing) retention.onError(error);
      })
      .finally(() => cadence.finished());
  };
  const hooks: CommitHooks =
    cadence === undefined
      ? checkpoints.hooks
      : {
          beforeCommit: checkpoints.hooks.beforeCommit,
          committed(head, checkpoint) {
            checkpoints.hooks.committed(head, checkpoint);
            if (!closing && cadence.due(head.seq, clock.now())) runRetention(head.seq);
          },
        };
  const commits = createGroupCommit(db, statements, projection, mark, COMPONENT, path, hooks);
  const archiver = new SqliteArchiver({
    db,
    statements,
    projection,
    mark,
    checkpoints: prepareCheckpointTable(db),
    segments,
    hooks,
    component: COMPONENT,
    path,
    clock,
    stampTime,
    beforePage: () => {
      if (closing || closed) throw storeClosedError(COMPONENT, 'archive');
    },
  });
  if (!readOnly) {
    guarded(site('open'), () => archiver.tidy(retention?.archiveDir));
    if (cadence !== undefined) runRetention(readHead(statements).seq);
  }

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

  const leases = guarded(site('open'), () =>
    sqliteLeases({ db, readOnly, component: COMPONENT, path, ensureOpen }),
  );

  return {
    path,
    append,
    read,
    leases,
    async head(): Promise<LogHead> {
      ensureOpen('head');
      return guarded(site('read the head of'), () => readHead(statements));
    },
    async loadLive(window) {
      ensureOpen('read');
      return guarded(site('read'), () => projection.loadLive(() => readHead(statements), window));
    },
    farWaiting: {
      async load(range) {
        ensureOpen('read');
        return guarded(site('read'), () => projection.loadWaiting(range));
      },
      async summary(fromMs, instants) {
        ensureOpen('read');
        return guarded(site('read'), () => projection.waitingSummary(fromMs, instants));
      },
    },
    async getRecord(occurrenceId) {
      ensureOpen('read');
      return guarded(site('read'), () => projection.publicRecord(occurrenceId));
    },
    async queryRecords(query) {
      ensureOpen('read');
      return guarded(site('read'), () => projection.queryRecords(query));
    },
    async queryHistory(query) {
      ensureOpen('read');
      return guarded(site('read'), () => projection.queryHistory(query));
    },
    async placesSince(sinceMs) {
      ensureOpen('read');
      return guarded(site('read'), () => projection.placesSince(sinceMs));
    },
    async verify(verifyOptions?: VerifyOptions): Promise<VerifyResult> {
      ensureOpen('verify');
      const { full } = resolveVerifyOptions(COMPONENT, verifyOptions);
      try {
        // Read before the walk: whatever a checkpoint names was committed before it starts.
        const evidence = checkpoints.evidence();
        // The entries after the mark; the whole chain when asked, or when the entry the mark
        // names is gone or changed (then only a full walk can say what happened).
        let after: LogHead | undefined;
        if (!full) {
          try {
            after = mark.check(COMPONENT, path);
          } catch (error) {
            if (!(error instanceof CorruptLogError)) throw error;
          }
        }
        const chain = await verifyLogRows(statements, () => ensureOpen('verify'), after);
        const segmentProblem = chain.ok ? segmentFactProblem(db, segments.last()) : undefined;
        return verifyCheckpoints(segmentProblem ?? chain, evidence, verifyOptions);
      } catch (error) {
        throw storageFault(error, site('verify'));
      }
    },
    async archive(archiveOptions?: ArchiveOptions): Promise<ArchiveResult> {
      ensureOpen('archive');
      if (readOnly || closing) {
        if (closing) throw storeClosedError(COMPONENT, 'archive');
        throw new StorageError(
          'planflow:storage-read-only',
          `${COMPONENT}: cannot archive "${path}": the store was opened with readOnly: true; open it without readOnly to archive`,
          { path },
        );
      }
      const run = resolveArchiveRun(COMPONENT, archiveOptions, { nowMs: clock.now(), retention });
      return archiver.run(run);
    },
    async segments() {
      ensureOpen('segments');
      return guarded(site('read the segments of'), () => segments.all());
    },
    async checkpoints(): Promise<readonly Checkpoint[]> {
      ensureOpen('checkpoints');
      return guarded(site('read the checkpoints of'), () => checkpoints.all());
    },
    async close(): Promise<void> {
      if (closed) return;
      // An archive run in progress stops at its next page (its temporary files removed);
      // one recording its segment finishes first.
      closing = true;
      await archiver.idle();
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
