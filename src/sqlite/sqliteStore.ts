import type Database from 'better-sqlite3';
import { type CorruptLogError, ValidationError } from '../domain/errors.js';
import type {
  AppendOptions,
  EventStore,
  LogHead,
  ReadOptions,
  StoreClock,
} from '../log/EventStore.js';
import type { NewEvent, StoredEvent } from '../log/events.js';
import { draftEvents, timeStamper } from '../log/prepareAppend.js';
import { storeClosedError } from '../log/storeErrors.js';
import {
  resolveAppendOptions,
  resolveReadOptions,
  resolveStoreClock,
} from '../log/storeOptions.js';
import type { VerifyResult } from '../log/verifyChain.js';
import { createGroupCommit } from './groupCommit.js';
import { prepareLogStatements, readHead, readPage, rowToStoredEvent } from './logStatements.js';
import { openLogDatabase, type SynchronousMode } from './openLogDatabase.js';
import { corruptLogError, verifyLogRows } from './verifyLog.js';

const COMPONENT = 'sqliteStore';

/** Options of {@link sqliteStore}. */
export type SqliteStoreOptions = Readonly<{
  /** File of the log; created (with its schema) when missing. */
  path: string;
  /**
   * `FULL` fsyncs every commit, so an acknowledged append survives a power loss. `NORMAL`
   * (safe with WAL: never corrupts) may lose the last commits on power loss or an OS crash,
   * not on a process crash. Group commit makes `FULL` affordable. @default 'FULL'
   */
  synchronous?: SynchronousMode;
  /** Time source for `time` stamps. @default Date.now */
  clock?: StoreClock;
  /** Check the whole hash chain before accepting the file. @default true */
  verifyOnOpen?: boolean;
}>;

/** An SQLite-backed {@link EventStore} that can also check its own file. */
export interface SqliteStore extends EventStore {
  /** The file this store writes to. */
  readonly path: string;
  /** Checks the hash chain of everything committed so far (appends keep working meanwhile). */
  verify(): Promise<VerifyResult>;
}

function resolveOptions(options: SqliteStoreOptions) {
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError(
      'planflow:invalid-options',
      'options',
      `${COMPONENT}: options must be an object such as { path: 'planflow.db' }, got ${String(options)}`,
    );
  }
  const { path, synchronous = 'FULL', verifyOnOpen = true } = options;
  if (typeof path !== 'string' || path.length === 0) {
    throw new ValidationError(
      'planflow:invalid-options',
      'path',
      `${COMPONENT}: options.path must be a non-empty file path such as 'planflow.db', got ${JSON.stringify(path)}`,
    );
  }
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') {
    throw new ValidationError(
      'planflow:invalid-options',
      'synchronous',
      `${COMPONENT}: options.synchronous must be 'NORMAL' or 'FULL', got ${JSON.stringify(synchronous)}`,
    );
  }
  if (typeof verifyOnOpen !== 'boolean') {
    throw new ValidationError(
      'planflow:invalid-options',
      'verifyOnOpen',
      `${COMPONENT}: options.verifyOnOpen must be true or false, got ${JSON.stringify(verifyOnOpen)}`,
    );
  }
  const clock = resolveStoreClock(COMPONENT, options.clock);
  return Object.freeze({ path, synchronous, verifyOnOpen, clock });
}

/**
 * Opens (or creates) an SQLite event log — the embedded default for anything that must
 * survive a restart. Appends made in one turn share one transaction (group commit); the
 * storage's unique index guarantees one `occurrence.triggered` per occurrence even across
 * processes sharing the file. With `verifyOnOpen` the hash chain is checked first and a
 * changed or torn log is refused with a {@link CorruptLogError}, never silently truncated.
 *
 * @example
 * import { sqliteStore } from 'planflow/sqlite';
 * const store = await sqliteStore({ path: 'planflow.db' });
 */
export async function sqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  const { path, synchronous, verifyOnOpen, clock } = resolveOptions(options);
  const stampTime = timeStamper(COMPONENT, clock);
  const db: Database.Database = openLogDatabase(path, synchronous);
  const statements = prepareLogStatements(db);
  if (verifyOnOpen) {
    let failure: CorruptLogError | undefined;
    try {
      failure = corruptLogError(COMPONENT, path, await verifyLogRows(statements));
    } catch (error) {
      db.close();
      throw error;
    }
    if (failure !== undefined) {
      db.close();
      throw failure;
    }
  }
  const commits = createGroupCommit(db, statements, COMPONENT);
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
      const rows = readPage(statements, next, toSeq, batchSize);
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
      return readHead(statements);
    },
    async verify(): Promise<VerifyResult> {
      ensureOpen('verify');
      return verifyLogRows(statements, () => ensureOpen('verify'));
    },
    async close(): Promise<void> {
      if (closed) return;
      commits.flushNow();
      closed = true;
      db.close();
    },
  };
}
