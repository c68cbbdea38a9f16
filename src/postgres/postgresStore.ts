import type Pg from 'pg';
import { CorruptLogError, StorageError, ValidationError } from '../domain/errors.js';
import type { ArchiveOptions, ArchiveResult, ArchivingStore } from '../log/ArchivingStore.js';
import type { Checkpoint } from '../log/checkpoint.js';
import { checkpointSchedule } from '../log/checkpointSchedule.js';
import type { AppendOptions, LogHead, ReadOptions } from '../log/EventStore.js';
import { rowToStoredEvent } from '../log/entryRow.js';
import type { NewEvent, StoredEvent } from '../log/events.js';
import type { HeadWatching } from '../log/HeadWatching.js';
import { type DraftEvent, draftEvents, timeStamper } from '../log/prepareAppend.js';
import { RetentionCadence } from '../log/RetentionCadence.js';
import { resolveArchiveRun } from '../log/retentionOptions.js';
import { segmentFactFinding } from '../log/segmentFactFinding.js';
import { readOnlyStoreError, storeClosedError } from '../log/storeErrors.js';
import { resolveAppendOptions, resolveReadOptions } from '../log/storeOptions.js';
import { type VerifyResult, verifyChain } from '../log/verifyChain.js';
import {
  resolveVerifyOptions,
  type VerifyOptions,
  verifyCheckpoints,
} from '../log/verifyCheckpoints.js';
import { loadPg } from './loadPg.js';
import { PgArchiver } from './PgArchiver.js';
import { PgHeadWatch } from './PgHeadWatch.js';
import { PgProjection, VERIFIED } from './PgProjection.js';
import { entryPageReader } from './pgEntries.js';
import { type PgSite, pgFault, pgGuarded } from './pgFault.js';
import { createPgGroupCommit, type PgCommitHooks } from './pgGroupCommit.js';
import { pgLeases } from './pgLeases.js';
import { EMPTY_HEAD, lockKey, preparePgSchema, quoted } from './pgSchema.js';
import { PgSegments } from './pgSegments.js';
import { type PostgresStoreOptions, resolvePostgresStoreOptions } from './postgresStoreOptions.js';

const COMPONENT = 'postgresStore';

/** Rows per page while verifying: as on SQLite, pages whose rows die young. */
const VERIFY_PAGE = 500;

type Queryable = Pick<Pg.Pool, 'query'>;

/** A PostgreSQL-backed event store: checks its own chain, signs checkpoints, hears others. */
export interface PostgresStore extends ArchivingStore, HeadWatching {
  /** The schema the log lives in. */
  readonly schema: string;
  /**
   * Checks the hash chain after the verified mark (all of it with `full`; from the end of
   * the newest archive segment), then the newest segment's record against its `log.archived`
   * entry, the signed checkpoints and `expectHead`. Appends keep working meanwhile.
   */
  verify(options?: VerifyOptions): Promise<VerifyResult>;
  /**
   * Moves the entries older than `before` (default: now minus `retention.keepFinishedFor`)
   * into one sealed segment file in `archiveDir` (required: the run's, else
   * `retention.archiveDir`). Appends go on while it writes the segment; recording it is one
   * transaction under the append lock. One run at a time per schema across all instances: a
   * second one is refused with `planflow:storage-busy` (transient). Resolves with `segment`
   * undefined when nothing is old enough.
   */
  archive(options?: ArchiveOptions): Promise<ArchiveResult>;
}

/** A lone UTF-16 surrogate: PostgreSQL text cannot hold it (it would be stored changed). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * PostgreSQL text holds no NUL character and no lone surrogate, so an entry whose type or
 * stream has one is refused here, before it could be stored other than it was hashed. (Its
 * payload is JSON text, where both are escaped.)
 */
function refuseUnstorable(drafts: readonly DraftEvent[]): void {
  drafts.forEach((draft, i) => {
    for (const field of ['type', 'stream'] as const) {
      const value = draft[field];
      if (value.includes('\0') || LONE_SURROGATE.test(value)) {
        throw new ValidationError(
          'planflow:invalid-input',
          `events[${i}].${field}`,
          `${COMPONENT}: events[${i}].${field} contains a NUL character or a lone UTF-16 surrogate, which PostgreSQL text cannot store; use printable text`,
        );
      }
    }
  });
}

type CheckpointRow = [seq: number, keyId: string, hash: string, time: string, signature: string];

const toCheckpoint = ([seq, keyId, hash, time, signature]: CheckpointRow): Checkpoint =>
  Object.freeze({ seq, hash, time, keyId, signature });

/**
 * Opens (creating and migrating it when needed) an event log in a PostgreSQL schema — the
 * store for several processes sharing one log. Writers on one schema take turns through a
 * transaction-scoped advisory lock, so the chain stays one gapless sequence; appends made
 * while a commit runs share the next transaction (group commit); the read model tables are
 * written in the same transaction; a unique index keeps one `occurrence.triggered` per
 * occurrence. Every commit notifies the schema's channel, and {@link PostgresStore.watchHead}
 * hears it. A lost connection is a `StorageError` with `transient: true`.
 *
 * @example
 * import { postgresStore } from 'planflow/postgres';
 * const store = await postgresStore({ connectionString: 'postgres://app@127.0.0.1:5432/app' });
 */
export async function postgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const resolved = resolvePostgresStoreOptions(options);
  const { schema, where, readOnly, clock, signing, verifyOnOpen, retention } = resolved;
  const pg = loadPg();
  const site = (operation: string): PgSite => ({ component: COMPONENT, where, operation });
  // bigint columns (seq, scheduled_ms) come back as numbers: every one of them is a safe
  // integer (sequence numbers, epoch milliseconds).
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === 20 ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  const config = {
    connectionString: resolved.connectionString,
    types,
    application_name: `planflow:${schema}`,
  };
  const pool = new pg.Pool({ ...config, max: resolved.maxConnections, idleTimeoutMillis: 30_000 });
  // An idle connection the server closed is dropped by the pool; without a listener its
  // 'error' event would end the process.
  pool.on('error', () => undefined);
  // The same for a connection in use: the query running on it rejects, and that is the error
  // the caller gets (see pgFault); the 'error' event after it says nothing more.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const q = quoted(schema);
  const projection = new PgProjection(schema);
  const readPage = entryPageReader(schema);
  const segments = new PgSegments(schema);
  let closed = false;
  let closing = false;

  const readHead = async (): Promise<LogHead> => {
    const { rows } = await pool.query<[number, string]>({
      text: `SELECT seq, hash FROM ${q}.entries ORDER BY seq DESC LIMIT 1`,
      rowMode: 'array',
    });
    return rows[0] === undefined ? EMPTY_HEAD : { seq: rows[0][0], hash: rows[0][1] };
  };
  const readCheckpoints = async (db: Pick<Pg.Pool, 'query'> = pool): Promise<Checkpoint[]> => {
    const { rows } = await db.query<CheckpointRow>({
      text: `SELECT seq, key_id, hash, time, signature FROM ${q}.checkpoints ORDER BY seq, key_id`,
      rowMode: 'array',
    });
    return rows.map(toCheckpoint);
  };
  const readMark = async (db: Queryable): Promise<LogHead> => {
    const { rows } = await db.query<[string]>({
      text: `SELECT value FROM ${q}.log_state WHERE key = '${VERIFIED}'`,
      rowMode: 'array',
    });
    if (rows[0] === undefined) return EMPTY_HEAD;
    const parsed = JSON.parse(rows[0][0]) as Partial<LogHead>;
    return typeof parsed.seq === 'number' && typeof parsed.hash === 'string'
      ? { seq: parsed.seq, hash: parsed.hash }
      : EMPTY_HEAD;
  };
  const hashesAt = async (db: Queryable, seqs: readonly number[]): Promise<Map<number, string>> => {
    const { rows } = await db.query<[number, string]>({
      text: `SELECT seq, hash FROM ${q}.entries WHERE seq = ANY($1::bigint[])`,
      values: [seqs],
      rowMode: 'array',
    });
    return new Map(rows);
  };

  /**
   * The mark, checked against the entry it names; a CorruptLogError when that entry changed.
   * Never below where the live log starts: an archive run verified every entry it moved into
   * a segment, so a mark it left behind counts from the segment's end.
   */
  const checkedMark = async (db: Queryable, start: LogHead): Promise<LogHead> => {
    const stored = await readMark(db);
    const mark = stored.seq >= start.seq ? stored : start;
    if (mark.seq === 0) return mark;
    const found =
      mark.seq === start.seq ? start.hash : (await hashesAt(db, [mark.seq])).get(mark.seq);
    if (found === mark.hash) return mark;
    const what =
      found === undefined
        ? `entry #${mark.seq} is gone`
        : `entry #${mark.seq} no longer has the hash it had`;
    throw new CorruptLogError(
      mark.seq,
      `${COMPONENT}: the log in ${where} was verified up to entry #${mark.seq} before, but ${what}: entries were removed or rewritten since. Nothing was changed; check it with planflow verify --full and restore the schema from a backup`,
      { damage: 'chain', path: where },
    );
  };

  /** Walks the chain after `after` over the stored JSON text (nothing parsed). */
  const walk = (db: Queryable, after: LogHead, beforePage: () => void): Promise<VerifyResult> => {
    async function* raw(): AsyncGenerator<readonly StoredEvent[]> {
      let next = after.seq + 1;
      for (;;) {
        beforePage();
        const rows = await readPage(db, next, Number.POSITIVE_INFINITY, VERIFY_PAGE);
        if (rows.length === 0) return;
        yield rows.map(
          ([seq, id, type, time, stream, data, schemaVersion, prevHash, hash]) =>
            ({
              seq,
              id,
              type,
              time,
              stream,
              data,
              schemaVersion,
              prevHash,
              hash,
            }) as unknown as StoredEvent,
        );
        if (rows.length < VERIFY_PAGE) return;
        next = rows[rows.length - 1]![0] + 1;
      }
    }
    return verifyChain(raw(), (event) => event.data as unknown as string, after);
  };

  /**
   * The chain after `after`, the newest segment's record against its `log.archived` entry,
   * then the checkpoints (and `expectHead`): an archived entry's hash is the segment's end
   * hash, or what its checkpoint said when the archive run checked it against the entry.
   */
  const checkLog = async (
    db: Queryable,
    start: LogHead,
    after: LogHead,
    checkpoints: readonly Checkpoint[],
    beforePage: () => void,
    verifyOptions?: VerifyOptions,
  ): Promise<Readonly<{ result: VerifyResult; chain: VerifyResult }>> => {
    const chain = await walk(db, after, beforePage);
    let found: VerifyResult | undefined;
    if (chain.ok && start.seq > 0) {
      const segment = await segments.last(db);
      const rows =
        segment === undefined ? [] : await readPage(db, segment.factSeq, segment.factSeq, 1);
      found = segmentFactFinding(
        segment,
        chain.entries,
        rows[0] === undefined ? undefined : rowToStoredEvent(rows[0]),
      );
    }
    const seqs = checkpoints.map((c) => c.seq);
    const expectHead =
      verifyOptions === undefined
        ? undefined
        : resolveVerifyOptions(COMPONENT, verifyOptions).expectHead;
    if (expectHead !== undefined) seqs.push(expectHead.seq);
    const hashes = await hashesAt(db, seqs);
    const archived = new Map(
      checkpoints.filter((c) => c.seq < start.seq).map((c) => [c.seq, c.hash] as const),
    );
    const hashAt = (seq: number): string | undefined =>
      hashes.get(seq) ?? (seq === start.seq && seq > 0 ? start.hash : archived.get(seq));
    const result = verifyCheckpoints(
      found ?? chain,
      { checkpoints, hashAt, archivedUpTo: start.seq },
      verifyOptions,
    );
    return { result, chain: found ?? chain };
  };

  /** Moves the mark forward to a head just verified (never back: another writer may be ahead). */
  const advanceMark = async (head: LogHead): Promise<void> => {
    await pool.query(
      `INSERT INTO ${q}.log_state (key, value) VALUES ('${VERIFIED}', $1)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value
       WHERE (${q}.log_state.value::jsonb ->> 'seq')::bigint < $2`,
      [JSON.stringify(head), head.seq],
    );
  };

  /**
   * Runs `work` on one connection in a read-only REPEATABLE READ transaction: every read of
   * a verification sees one snapshot. An archive run's record transaction (entries deleted,
   * segment row and `log.archived` appended) is then wholly before or wholly after it, so a
   * walk that began before the commit does not find the entries gone half-way, and the
   * segment row, checkpoints and entries it reads always belong together.
   */
  const inSnapshot = async <T>(work: (db: Queryable) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let healthy = false;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const result = await work(client);
      await client.query('COMMIT');
      healthy = true;
      return result;
    } finally {
      if (!healthy) await client.query('ROLLBACK').catch(() => undefined);
      client.release(healthy ? undefined : true);
    }
  };

  let checkpointsAtOpen: Checkpoint[];
  try {
    const client = await pool.connect();
    try {
      await preparePgSchema(client, schema, readOnly, { component: COMPONENT, where });
    } finally {
      client.release();
    }
    checkpointsAtOpen = await readCheckpoints();
    if (verifyOnOpen !== false) {
      const { result, after } = await inSnapshot(async (db) => {
        const start = await segments.start(db);
        const after = verifyOnOpen === 'full' ? start : await checkedMark(db, start);
        const checkpoints = await readCheckpoints(db);
        const { result } = await checkLog(db, start, after, checkpoints, () => undefined);
        return { result, after };
      });
      if (!result.ok) {
        throw new CorruptLogError(
          result.firstBadSeq,
          `${COMPONENT}: the log in ${where} does not verify from entry #${result.firstBadSeq} (${result.problem}: ${result.reason}). Nothing was changed; restore the schema from a backup, or open it with verifyOnOpen: false to read what is there`,
          { damage: 'chain', path: where },
        );
      }
      if (!readOnly && result.entries > after.seq) {
        await advanceMark({ seq: result.entries, hash: result.headHash });
      }
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw pgFault(error, site('open'));
  }

  // Signed checkpoints: the cadence continues from the newest one this key made.
  const ownLast =
    signing === undefined
      ? undefined
      : checkpointsAtOpen.filter((c) => c.keyId === signing.signer.keyId).at(-1);
  const schedule =
    signing === undefined
      ? undefined
      : checkpointSchedule(signing.signer, signing.every, ownLast, clock.now());
  let lastCommitted: LogHead | undefined;
  // Retention: a run on open, then one whenever a commit finds the cadence due.
  const cadence = retention === undefined ? undefined : new RetentionCadence(retention);
  const hooks: PgCommitHooks | undefined =
    schedule === undefined && cadence === undefined
      ? undefined
      : {
          beforeCommit: (head, time) => schedule?.due(head, Date.parse(time)),
          committed(head, checkpoint) {
            lastCommitted = head;
            if (checkpoint !== undefined) schedule?.recorded(checkpoint);
            if (cadence !== undefined && !closing && cadence.due(head.seq, clock.now())) {
              runRetention(head.seq);
            }
          },
        };
  const commits = createPgGroupCommit({
    pool,
    projection,
    schema,
    site: site('append to'),
    hooks,
  });
  const watch = new PgHeadWatch(
    schema,
    () => new pg.Client(config),
    async () => (await readHead()).seq,
  );
  const stampTime = timeStamper(COMPONENT, clock);
  const archiver = new PgArchiver({
    pool,
    schema,
    projection,
    segments,
    readPage,
    readCheckpoints,
    hooks,
    site,
    clock,
    stampTime,
    beforePage: () => {
      if (closing || closed) throw storeClosedError(COMPONENT, 'archive');
    },
  });
  /**
   * A run of the cadence. In a fleet every instance may have retention: a run that finds
   * another instance's run in progress is skipped (that one does the work), not an error.
   */
  function runRetention(headSeq: number): void {
    if (cadence === undefined || retention === undefined) return;
    const nowMs = clock.now();
    cadence.started(headSeq, nowMs);
    archiver
      .run(resolveArchiveRun(COMPONENT, undefined, { nowMs, retention }), 'skip')
      .then(
        (result) => {
          if (result !== undefined) retention.onArchived(result);
        },
        (error: unknown) => {
          if (!closing) retention.onError(error);
        },
      )
      .finally(() => cadence.finished());
  }
  if (cadence !== undefined) runRetention((await readHead().catch(() => EMPTY_HEAD)).seq);

  const ensureOpen = (operation: string): void => {
    if (closed || closing) throw storeClosedError(COMPONENT, operation);
  };
  const guarded = async <T>(
    operation: string,
    method: string,
    work: () => Promise<T>,
  ): Promise<T> => {
    ensureOpen(method);
    return pgGuarded(site(operation), work);
  };

  const append = async (
    events: readonly NewEvent[],
    appendOptions?: AppendOptions,
  ): Promise<readonly StoredEvent[]> => {
    ensureOpen('append');
    const { expectedSeq } = resolveAppendOptions(COMPONENT, appendOptions);
    const drafts = draftEvents(COMPONENT, events);
    refuseUnstorable(drafts);
    if (readOnly) throw readOnlyStoreError(COMPONENT, where);
    if (drafts.length === 0) return [];
    const time = stampTime();
    const data = drafts.map((draft) => JSON.parse(draft.dataJson) as unknown);
    return new Promise((resolve, reject) => {
      commits.enqueue({ drafts, data, expectedSeq, time, resolve, reject });
    });
  };

  async function* read(readOptions?: ReadOptions): AsyncGenerator<readonly StoredEvent[]> {
    ensureOpen('read');
    const { fromSeq, toSeq, batchSize } = resolveReadOptions(COMPONENT, readOptions);
    let next = fromSeq;
    while (next <= toSeq) {
      ensureOpen('read');
      const rows = await pgGuarded(site('read'), () => readPage(pool, next, toSeq, batchSize));
      if (rows.length === 0) return;
      yield rows.map(rowToStoredEvent);
      if (rows.length < batchSize) return;
      next = rows[rows.length - 1]![0] + 1;
    }
  }

  /** The last checkpoint at close, of the head as it is then, under the append lock. */
  const finalCheckpoint = async (): Promise<void> => {
    if (schedule === undefined || lastCommitted === undefined) return;
    const client = await pool.connect();
    try {
      await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${lockKey(schema)})`);
      const { rows } = await client.query<[number, string]>({
        text: `SELECT seq, hash FROM ${q}.entries ORDER BY seq DESC LIMIT 1`,
        rowMode: 'array',
      });
      const head = rows[0] === undefined ? EMPTY_HEAD : { seq: rows[0][0], hash: rows[0][1] };
      const final = schedule.final(head, clock.now());
      if (final !== undefined) {
        await client.query(
          `INSERT INTO ${q}.checkpoints (seq, key_id, hash, time, signature) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
          [final.seq, final.keyId, final.hash, final.time, final.signature],
        );
      }
      await client.query('COMMIT');
      if (final !== undefined) schedule.recorded(final);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };

  return {
    schema,
    leases: pgLeases({ pool, schema, readOnly, site, ensureOpen }),
    append,
    read,
    head: () => guarded('read the head of', 'head', readHead),
    loadLive: () => guarded('read', 'read', () => projection.loadLive(pool)),
    getRecord: (occurrenceId) =>
      guarded('read', 'read', () => projection.record(pool, occurrenceId)),
    queryRecords: (query) => guarded('read', 'read', () => projection.queryRecords(pool, query)),
    queryHistory: (query) => guarded('read', 'read', () => projection.queryHistory(pool, query)),
    placesSince: (sinceMs) => guarded('read', 'read', () => projection.placesSince(pool, sinceMs)),
    async verify(verifyOptions?: VerifyOptions): Promise<VerifyResult> {
      ensureOpen('verify');
      const { full } = resolveVerifyOptions(COMPONENT, verifyOptions);
      return pgGuarded(site('verify'), async () => {
        const { result, chain, after } = await inSnapshot(async (db) => {
          const checkpoints = await readCheckpoints(db);
          const start = await segments.start(db);
          let after: LogHead = start;
          if (!full) {
            try {
              after = await checkedMark(db, start);
            } catch (error) {
              if (!(error instanceof CorruptLogError)) throw error;
            }
          }
          const checked = await checkLog(
            db,
            start,
            after,
            checkpoints,
            () => ensureOpen('verify'),
            verifyOptions,
          );
          return { ...checked, after };
        });
        if (result.ok && !readOnly && chain.ok && chain.entries > after.seq) {
          await advanceMark({ seq: chain.entries, hash: chain.headHash });
        }
        return result;
      });
    },
    checkpoints: () => guarded('read the checkpoints of', 'checkpoints', () => readCheckpoints()),
    async archive(archiveOptions?: ArchiveOptions): Promise<ArchiveResult> {
      ensureOpen('archive');
      if (readOnly) {
        throw new StorageError(
          'planflow:storage-read-only',
          `${COMPONENT}: cannot archive ${where}: the store was opened with readOnly: true; open it without readOnly to archive`,
          { path: where },
        );
      }
      const run = resolveArchiveRun(COMPONENT, archiveOptions, { nowMs: clock.now(), retention });
      return archiver.run(run, 'refuse');
    },
    segments: () => guarded('read the segments of', 'segments', () => segments.all(pool)),
    watchHead(listener) {
      ensureOpen('watchHead');
      if (typeof listener !== 'function') {
        throw new ValidationError(
          'planflow:invalid-input',
          'listener',
          `${COMPONENT}: watchHead() takes a function (seq) => void, got ${typeof listener}`,
        );
      }
      return watch.subscribe(listener);
    },
    async close(): Promise<void> {
      if (closed || closing) return;
      closing = true;
      try {
        // A run in progress stops at its next page; one recording its segment finishes first.
        await archiver.idle();
        await commits.idle();
        watch.close();
        if (!readOnly) await pgGuarded(site('close'), finalCheckpoint);
      } finally {
        closed = true;
        await pool.end().catch((error: unknown) => {
          throw new StorageError(
            'planflow:storage-unavailable',
            `${COMPONENT}: closing the connections to ${where} failed: ${(error as Error).message}`,
            { path: where, cause: error },
          );
        });
      }
    },
  };
}
