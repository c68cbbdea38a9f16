import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type Pg from 'pg';
import { CorruptLogError, StateError, StorageError, ValidationError } from '../domain/errors.js';
import type { IsoInstant, Occurrence } from '../domain/types.js';
import type { ArchiveResult, SegmentRecord } from '../log/ArchivingStore.js';
import type { Checkpoint } from '../log/checkpoint.js';
import { type LogHead, type StoreClock, toIso } from '../log/EventStore.js';
import { logArchived } from '../log/facts.js';
import {
  type HeldBack,
  heldBackBy,
  leavesReadModel,
  RECENT_OCCURRENCES_MS,
} from '../log/leavesReadModel.js';
import { sealDrafts, toStoredEvent } from '../log/prepareAppend.js';
import { type OccurrenceRecord, projectEntries } from '../log/projection.js';
import type { ResolvedArchiveRun } from '../log/retentionOptions.js';
import { recordOfSealed, type SealedSegment, sealSegment } from '../log/sealSegment.js';
import { rangeOf, segmentFileName } from '../log/segmentFormat.js';
import { removeSegmentLeftovers } from '../log/segmentLeftovers.js';
import { GroupChanges, type PgProjection, VERIFIED } from './PgProjection.js';
import type { entryPageReader } from './pgEntries.js';
import { type PgSite, pgFault } from './pgFault.js';
import type { PgCommitHooks } from './pgGroupCommit.js';
import { archiveLockKey, channelOf, lockKey, quoted } from './pgSchema.js';
import type { PgSegments } from './pgSegments.js';

/** What an archive run of a PostgreSQL store works with: the store's own parts. */
export type PgArchiverParts = Readonly<{
  pool: Pg.Pool;
  schema: string;
  projection: PgProjection;
  segments: PgSegments;
  readPage: ReturnType<typeof entryPageReader>;
  readCheckpoints: (db: Pick<Pg.Pool, 'query'>) => Promise<Checkpoint[]>;
  hooks: PgCommitHooks | undefined;
  site: (operation: string) => PgSite;
  clock: StoreClock;
  stampTime: () => IsoInstant;
  /** Runs before each page is read; throws to stop the run (the store is closing). */
  beforePage: () => void;
}>;

/** What a run should do when another run holds the schema's archive lock. */
export type WhenBusy = 'refuse' | 'skip';

type Parsed = Pick<OccurrenceRecord, 'occurrence' | 'firstSeq'>;

/** Read-model rows read (and parsed) per page while finding what leaves it. */
const LEAVING_PAGE = 2000;

/**
 * Archive runs of one PostgreSQL store, with the SQLite store's rule and segment format. A
 * run holds the schema's archive lock (a session advisory lock, {@link archiveLockKey}) on
 * one connection from start to end, so across every instance on the schema one run at a
 * time seals and records; a second one is refused (`planflow:storage-busy`, transient) or,
 * for the retention cadence, skipped. On that connection:
 *
 * 1. **Seal** (appends go on): the prefix is read page by page, its chain and checkpoints
 *    checked, and written to a segment file in `archiveDir` (`sealSegment`).
 * 2. **Record**: one transaction. It deletes the prefix's entries and the settled
 *    occurrences leaving the read model — rows no append changes — and then takes the
 *    schema's append lock, the one every group commit takes, so the chain stays linear with
 *    concurrent writers: under it, it appends `log.archived` onto the head (with the mark, a
 *    due checkpoint and the NOTIFY of the head), inserts the segment row and commits. Writers
 *    wait for the fact only, not for the deletes (measured: appends of another process
 *    waited up to 17–25 ms during a run archiving 90 100 entries, 141–172 ms with the lock
 *    taken first).
 *
 * A failure before the commit leaves the log as it was; the sealed file is removed, or — if
 * the process died — removed by the next run as an unrecorded leftover.
 */
export class PgArchiver {
  readonly #parts: PgArchiverParts;
  readonly #q: string;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(parts: PgArchiverParts) {
    this.#parts = parts;
    this.#q = quoted(parts.schema);
  }

  /** Runs one archive after any run of this store still in progress. */
  run(options: ResolvedArchiveRun, whenBusy: 'refuse'): Promise<ArchiveResult>;
  run(options: ResolvedArchiveRun, whenBusy: WhenBusy): Promise<ArchiveResult | undefined>;
  run(options: ResolvedArchiveRun, whenBusy: WhenBusy): Promise<ArchiveResult | undefined> {
    const next = this.#tail.then(() => this.#run(options, whenBusy));
    this.#tail = next.catch(() => {});
    return next;
  }

  /** Resolves once no run is in progress (a failed one included). */
  idle(): Promise<void> {
    return this.#tail.then(() => {});
  }

  async #run(options: ResolvedArchiveRun, whenBusy: WhenBusy): Promise<ArchiveResult | undefined> {
    const { pool, schema, site } = this.#parts;
    const where = site('archive').where;
    if (options.archiveDir === undefined) {
      throw new ValidationError(
        'planflow:invalid-options',
        'archiveDir',
        `${site('archive').component}: a PostgreSQL log has no file to put archive segments beside; pass the directory they go to: archive({ before, archiveDir: './archive' }) or retention: { keepFinishedFor, archiveDir }`,
      );
    }
    const dir = resolve(options.archiveDir);
    let client: Pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw pgFault(error, site('archive'));
    }
    let healthy = false;
    try {
      const { rows } = await client.query<[boolean]>({
        text: `SELECT pg_try_advisory_lock(${archiveLockKey(schema)})`,
        rowMode: 'array',
      });
      if (rows[0]?.[0] !== true) {
        healthy = true;
        if (whenBusy === 'skip') return undefined;
        throw new StorageError(
          'planflow:storage-busy',
          `${site('archive').component}: cannot archive ${where}: another archive run on this schema is in progress (one at a time across all instances); nothing was changed — try again once it has finished`,
          { path: where, transient: true },
        );
      }
      const result = await this.#locked(client, options, dir);
      await client.query(`SELECT pg_advisory_unlock(${archiveLockKey(schema)})`);
      healthy = true;
      return result;
    } catch (error) {
      if (error instanceof CorruptLogError || error instanceof StateError) throw error;
      throw pgFault(error, site('archive'));
    } finally {
      // A connection that failed mid-run is closed, which also releases its session lock.
      client.release(healthy ? undefined : true);
    }
  }

  async #locked(
    client: Pg.PoolClient,
    options: ResolvedArchiveRun,
    dir: string,
  ): Promise<ArchiveResult> {
    const { schema, segments, readPage, site, clock, stampTime, beforePage } = this.#parts;
    const before = toIso(options.beforeMs);
    const start = await segments.start(client);
    const { last, heldBack } = await this.#lastArchivable(client, start, before);
    const held = heldBack === undefined ? {} : { heldBack };
    if (last <= start.seq) return { segment: undefined, prunedOccurrences: 0, before, ...held };
    // Under the archive lock no other run writes here: what a crashed one left can go.
    removeSegmentLeftovers(dir, schema, start.seq + 1);
    const occurrencesBefore = toIso(
      Math.min(options.beforeMs, clock.now() - RECENT_OCCURRENCES_MS),
    );
    const { component, where } = site('archive');
    const sealed = await sealSegment({
      start,
      last,
      readPage: (from, to, limit) => readPage(client, from, to, limit),
      checkpoints: await this.#parts.readCheckpoints(client),
      dir,
      name: segmentFileName(schema, start.seq + 1, last),
      stampTime,
      onStep: options.onStep,
      beforePage,
      refusal: `${component}: cannot archive ${where}`,
      path: where,
      broken: (chain) =>
        chain.ok
          ? undefined
          : new CorruptLogError(
              chain.firstBadSeq,
              `${component}: cannot archive ${where}: entry #${chain.firstBadSeq} does not verify (${chain.reason}). Nothing was changed; check it with planflow verify --full --db <url> and restore the schema from a backup`,
              { damage: 'chain', path: where },
            ),
    });
    try {
      const leaving = await this.#leaving(client, sealed.header.lastSeq, occurrencesBefore);
      const recorded = await this.#record(
        client,
        start,
        sealed,
        { before, occurrencesBefore, leaving },
        options,
      );
      return { ...recorded, ...held };
    } catch (error) {
      // Not recorded: the file must not look like part of the archive.
      rmSync(sealed.path, { force: true });
      throw error;
    }
  }

  /**
   * The last entry of the prefix to archive: the one before the first entry at or after
   * `before`, or before the first entry a live occurrence needs (`heldBackBy`), whichever
   * comes first.
   */
  async #lastArchivable(
    client: Pg.PoolClient,
    start: LogHead,
    before: IsoInstant,
  ): Promise<Readonly<{ last: number; heldBack: HeldBack | undefined }>> {
    const q = this.#q;
    const { rows: bound } = await client.query<[number | null, number | null]>({
      text: `SELECT (SELECT seq FROM ${q}.entries WHERE seq > $1 AND time >= $2 ORDER BY seq LIMIT 1),
                    (SELECT seq FROM ${q}.entries ORDER BY seq DESC LIMIT 1)`,
      values: [start.seq, before],
      rowMode: 'array',
    });
    const [young, head] = bound[0]!;
    const byTime = young === null ? (head ?? start.seq) : young - 1;
    // Every live occurrence (one snapshot), then the attempts live retries continue.
    const known = new Map<string, Parsed>();
    const read = async (condition: string, values: unknown[]): Promise<Parsed[]> => {
      const { rows } = await client.query<[number, string]>({
        text: `SELECT first_seq, occurrence FROM ${q}.occurrences WHERE ${condition}`,
        values,
        rowMode: 'array',
      });
      const parsed = rows.map(([firstSeq, occurrence]) => ({
        firstSeq,
        occurrence: JSON.parse(occurrence) as Occurrence,
      }));
      for (const record of parsed) known.set(record.occurrence.id, record);
      return parsed;
    };
    const live = await read('live', []);
    let wanted = live;
    for (let hops = 0; hops < 10_000; hops++) {
      const parents = [
        ...new Set(
          wanted.flatMap(({ occurrence }) =>
            occurrence.cause === 'retry' &&
            occurrence.parentId !== undefined &&
            !known.has(occurrence.parentId)
              ? [occurrence.parentId]
              : [],
          ),
        ),
      ];
      if (parents.length === 0) break;
      wanted = await read('id = ANY($1::text[])', [parents]);
    }
    const held = heldBackBy(live, (id) => known.get(id));
    return held !== undefined && held.fromSeq - 1 < byTime
      ? { last: held.fromSeq - 1, heldBack: held }
      : { last: byTime, heldBack: undefined };
  }

  /**
   * The settled occurrences that leave the read model with a segment ending at `lastSeq`,
   * decided by `leavesReadModel` itself over the rows it may concern. Read before the record
   * transaction: a settled row never changes again, and rows written meanwhile begin after
   * the prefix. (The rule stays in TypeScript: PostgreSQL's json operators refuse a record
   * whose error message holds a `\u0000` escape.)
   */
  async #leaving(
    client: Pg.PoolClient,
    lastSeq: number,
    occurrencesBefore: IsoInstant,
  ): Promise<string[]> {
    const range = { lastSeq, occurrencesBefore };
    const leaving: string[] = [];
    // In pages, so parsing the records never holds this process's event loop for long.
    for (let after = 0; ; ) {
      this.#parts.beforePage();
      const { rows } = await client.query<[number, string, string]>({
        text: `SELECT first_seq, id, execution FROM ${this.#q}.occurrences
               WHERE first_seq > $1 AND first_seq <= $2 AND NOT live AND scheduled_ms < $3
                 AND execution IS NOT NULL
               ORDER BY first_seq LIMIT ${LEAVING_PAGE}`,
        values: [after, lastSeq, Date.parse(occurrencesBefore)],
        rowMode: 'array',
      });
      for (const [, id, execution] of rows) {
        const record = { execution: JSON.parse(execution) } as OccurrenceRecord;
        if (leavesReadModel(record, range)) leaving.push(id);
      }
      if (rows.length < LEAVING_PAGE) return leaving;
      after = rows[rows.length - 1]![0];
    }
  }

  /** Phase 2: records the sealed segment and takes its entries out, in one transaction. */
  async #record(
    client: Pg.PoolClient,
    start: LogHead,
    sealed: SealedSegment,
    run: Readonly<{ before: IsoInstant; occurrencesBefore: IsoInstant; leaving: string[] }>,
    options: ResolvedArchiveRun,
  ): Promise<ArchiveResult> {
    const { schema, projection, segments, hooks, site, stampTime } = this.#parts;
    const { component, where } = site('archive');
    const q = this.#q;
    const { header } = sealed;
    let head: LogHead;
    let checkpoint: Checkpoint | undefined;
    let record: SegmentRecord;
    let pruned: number;
    await client.query('BEGIN');
    try {
      const now = await segments.start(client);
      if (now.seq !== start.seq || now.hash !== start.hash) {
        throw new StateError(
          'planflow:invalid-state',
          `${component}: another archive run recorded a segment of ${where} meanwhile; run archive() again`,
        );
      }
      const { rows: lastRows } = await client.query<[string]>({
        text: `SELECT hash FROM ${q}.entries WHERE seq = $1`,
        values: [header.lastSeq],
        rowMode: 'array',
      });
      if (lastRows[0]?.[0] !== header.lastHash) {
        throw new CorruptLogError(
          header.lastSeq,
          `${component}: entry #${header.lastSeq} of ${where} changed while it was being archived; nothing was recorded — check the log with planflow verify --full --db <url>`,
          { path: where },
        );
      }
      // The deletes touch rows no append changes (settled occurrences, whose outcome and
      // follow-up were one append; entries of the prefix, below every head), so they run
      // before the append lock and writers wait only for the fact. Were an append ever to
      // wait for one of these rows while holding the lock, the server's deadlock check
      // would fail one side (storage-busy, transient) and nothing of it would commit.
      const deleted = await client.query(
        `DELETE FROM ${q}.occurrences WHERE NOT live AND id IN (SELECT json_array_elements_text($1::json))`,
        [JSON.stringify(run.leaving)],
      );
      pruned = deleted.rowCount ?? 0;
      await client.query(`DELETE FROM ${q}.entries WHERE seq > $1 AND seq <= $2`, [
        start.seq,
        header.lastSeq,
      ]);
      await client.query(`SELECT pg_advisory_xact_lock(${lockKey(schema)})`);
      const state = await projection.prefetch(client, {
        occurrenceIds: [],
        taskIds: [],
        triggerStreams: [],
      });
      const headBefore = state.head;
      const known =
        state.mark !== undefined &&
        state.mark.seq === headBefore.seq &&
        state.mark.hash === headBefore.hash;
      const time = stampTime();
      const fact = logArchived({
        ...rangeOf(header),
        segment: sealed.name,
        before: run.before,
        occurrencesBefore: run.occurrencesBefore,
        prunedOccurrences: pruned,
      });
      const [entry] = sealDrafts(
        [{ type: fact.type, stream: fact.stream, dataJson: JSON.stringify(fact.data) }],
        headBefore,
        time,
      );
      const stored = toStoredEvent(entry!, JSON.parse(entry!.dataJson));
      const projected = projectEntries([stored], state);
      const changes = new GroupChanges();
      changes.add(projected);
      head = { seq: entry!.seq, hash: entry!.hash };
      checkpoint = hooks?.beforeCommit(head, time);
      await projection.write(client, {
        entries: [{ ...entry!, taskId: projected.taskIds[0] ?? null }],
        changes,
        fromSeq: entry!.seq,
        state: known ? new Map([[VERIFIED, JSON.stringify(head)]]) : new Map(),
        checkpoint,
        channel: channelOf(schema),
        head,
      });
      record = recordOfSealed(sealed, entry!.seq, time);
      await segments.insert(client, record);
      options.onStep('recording');
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    hooks?.committed(head, checkpoint);
    options.onStep('recorded');
    return { segment: record, path: sealed.path, prunedOccurrences: pruned, before: run.before };
  }
}
