import { rmSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { CorruptLogError, StateError, ValidationError } from '../domain/errors.js';
import type { IsoInstant } from '../domain/types.js';
import type { ArchiveResult, SegmentRecord } from '../log/ArchivingStore.js';
import type { Checkpoint } from '../log/checkpoint.js';
import { type LogHead, type StoreClock, toIso } from '../log/EventStore.js';
import { logArchived } from '../log/facts.js';
import { type HeldBack, heldBackBy, RECENT_OCCURRENCES_MS } from '../log/leavesReadModel.js';
import { sealDrafts, toStoredEvent } from '../log/prepareAppend.js';
import type { ResolvedArchiveRun } from '../log/retentionOptions.js';
import { recordOfSealed, type SealedSegment, sealSegment } from '../log/sealSegment.js';
import { rangeOf, segmentFileName } from '../log/segmentFormat.js';
import { removeSegmentLeftovers } from '../log/segmentLeftovers.js';
import type { CheckpointTable } from './checkpointTable.js';
import type { CommitHooks } from './groupCommit.js';
import { insertEntry, type LogStatements, readHead, readPage } from './logStatements.js';
import { pruneArchived } from './pruneArchived.js';
import type { SegmentTable } from './segmentTable.js';
import type { SqliteProjection } from './sqliteProjection.js';
import { storageFault } from './storageFault.js';
import type { VerifiedMark } from './VerifiedMark.js';
import { corruptLogError } from './verifyLog.js';

/** What an archive run of an SQLite store works with: the store's own parts. */
export type ArchiverParts = Readonly<{
  db: Database.Database;
  statements: LogStatements;
  projection: SqliteProjection;
  mark: VerifiedMark;
  checkpoints: CheckpointTable;
  segments: SegmentTable;
  hooks: CommitHooks;
  component: string;
  path: string;
  clock: StoreClock;
  stampTime: () => IsoInstant;
  /** Runs before each page is read; throws to stop the run (the store is closing). */
  beforePage: () => void;
}>;

/** Where segments go when neither the run nor the store says. */
export const defaultArchiveDir = (path: string): string => `${path}.archive`;

/**
 * Archive runs of one SQLite store. A run moves the prefix of the live log whose entries are
 * all older than the cutoff into one sealed segment file, in two phases:
 *
 * 1. **Seal** (async, appends go on meanwhile): read the prefix page by page, check its
 *    chain from where the live log starts, and stream its lines into a segment file (temp
 *    file, flushed, renamed, directory flushed). Nothing in the log has changed yet.
 * 2. **Record** (one transaction): insert the segment into `segments`, delete its entries
 *    from `events`, take the settled occurrences it completes out of the read model, and
 *    append `log.archived` naming the range, its boundary hashes, the file and its sha256.
 *
 * A crash in phase 1 leaves the log as it was (and temp files the next run removes); after
 * the rename, an unrecorded segment the next run replaces; a crash in phase 2 rolls back.
 * Either way every entry is in the live log or in a recorded segment. Runs of one store are
 * serialised.
 */
export class SqliteArchiver {
  readonly #parts: ArchiverParts;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(parts: ArchiverParts) {
    this.#parts = parts;
  }

  /** Runs one archive after any run still in progress. */
  run(options: ResolvedArchiveRun): Promise<ArchiveResult> {
    const next = this.#tail.then(() => this.#run(options));
    this.#tail = next.catch(() => {});
    return next;
  }

  /**
   * Removes what a run that did not finish left in `dir` (default: where runs write by
   * default): its temporary files, and a sealed segment it never recorded. Writable opens
   * call it, so a crashed run's leftovers do not linger until the next run.
   */
  tidy(dir?: string): void {
    const { path, statements } = this.#parts;
    if (path === ':memory:' && dir === undefined) return;
    removeSegmentLeftovers(
      resolve(dir ?? defaultArchiveDir(path)),
      basename(path),
      statements.start().seq + 1,
    );
  }

  /** Resolves once no run is in progress (a failed one included). */
  idle(): Promise<void> {
    return this.#tail.then(() => {});
  }

  async #run(options: ResolvedArchiveRun): Promise<ArchiveResult> {
    const { statements, path } = this.#parts;
    const before = toIso(options.beforeMs);
    const start = statements.start();
    const { last, heldBack } = this.#lastArchivable(start, before);
    const held = heldBack === undefined ? {} : { heldBack };
    if (last <= start.seq) return { segment: undefined, prunedOccurrences: 0, before, ...held };
    const dir = resolve(options.archiveDir ?? this.#defaultDir());
    const name = segmentFileName(basename(path), start.seq + 1, last);
    removeSegmentLeftovers(dir, basename(path), start.seq + 1);
    const sealed = await this.#seal(start, last, dir, name, options);
    try {
      return { ...this.#record(start, sealed, before, options), ...held };
    } catch (error) {
      // Not recorded: the file must not look like part of the archive.
      rmSync(sealed.path, { force: true });
      throw error;
    }
  }

  #defaultDir(): string {
    const { path, component } = this.#parts;
    if (path === ':memory:') {
      throw new ValidationError(
        'planflow:invalid-options',
        'archiveDir',
        `${component}: an in-memory database has no place for archive segments beside it; pass archiveDir (archive({ archiveDir }) or retention.archiveDir)`,
      );
    }
    return defaultArchiveDir(path);
  }

  /**
   * The last entry of the prefix to archive: the one before the first entry at or after
   * `before`, or before the first entry a live occurrence needs (`heldBackBy`), whichever
   * comes first.
   */
  #lastArchivable(
    start: LogHead,
    before: IsoInstant,
  ): Readonly<{ last: number; heldBack: HeldBack | undefined }> {
    const { db, statements, projection } = this.#parts;
    const young = db
      .prepare<[number, string], number>(
        'SELECT seq FROM events WHERE seq > ? AND time >= ? ORDER BY seq LIMIT 1',
      )
      .pluck()
      .get(start.seq, before);
    const byTime = young === undefined ? readHead(statements).seq : young - 1;
    // The oldest live occurrence, and every live retry (to walk back to its first attempt).
    const live = db
      .prepare<[], string>(
        `SELECT id FROM occurrences WHERE live = 1 AND (
           first_seq = (SELECT min(first_seq) FROM occurrences WHERE live = 1)
           OR json_extract(occurrence, '$.cause') = 'retry')`,
      )
      .pluck()
      .all()
      .flatMap((id) => projection.record(id) ?? []);
    const held = heldBackBy(live, (id) => projection.record(id));
    return held !== undefined && held.fromSeq - 1 < byTime
      ? { last: held.fromSeq - 1, heldBack: held }
      : { last: byTime, heldBack: undefined };
  }

  /** Phase 1: the prefix `start`+1..`last`, chain-checked, as a sealed segment file. */
  async #seal(
    start: LogHead,
    last: number,
    dir: string,
    name: string,
    options: ResolvedArchiveRun,
  ): Promise<SealedSegment> {
    const { statements, checkpoints, beforePage, component, path, stampTime } = this.#parts;
    try {
      return await sealSegment({
        start,
        last,
        readPage: (from, to, limit) => readPage(statements, from, to, limit),
        checkpoints: checkpoints.all(),
        dir,
        name,
        stampTime,
        onStep: options.onStep,
        beforePage,
        refusal: `${component}: cannot archive "${path}"`,
        path,
        broken: (chain) => corruptLogError(component, path, chain),
      });
    } catch (error) {
      if (error instanceof CorruptLogError || error instanceof StateError) throw error;
      throw storageFault(error, { component, path, operation: 'archive' });
    }
  }

  /** Phase 2: records the sealed segment and takes its entries out, in one transaction. */
  #record(
    start: LogHead,
    sealed: SealedSegment,
    before: IsoInstant,
    options: ResolvedArchiveRun,
  ): ArchiveResult {
    const { db, statements, projection, mark, segments, hooks, component, path, clock } =
      this.#parts;
    const { header } = sealed;
    const occurrencesBeforeMs = Math.min(Date.parse(before), clock.now() - RECENT_OCCURRENCES_MS);
    let head: LogHead;
    let checkpoint: Checkpoint | undefined;
    let record: SegmentRecord;
    let pruned: number;
    try {
      statements.begin.run();
      const now = statements.start();
      if (now.seq !== start.seq || now.hash !== start.hash) {
        throw new StateError(
          'planflow:invalid-state',
          `${component}: another archive run recorded a segment of "${path}" meanwhile; run archive() again`,
        );
      }
      const lastHash = db
        .prepare<[number], string>('SELECT hash FROM events WHERE seq = ?')
        .pluck()
        .get(header.lastSeq);
      if (lastHash !== header.lastHash) {
        throw new CorruptLogError(
          header.lastSeq,
          `${component}: entry #${header.lastSeq} of "${path}" changed while it was being archived; nothing was recorded — check the log with planflow verify --full`,
          { path },
        );
      }
      const headBefore = readHead(statements);
      const known = mark.isAt(headBefore);
      const occurrencesBefore = toIso(occurrencesBeforeMs);
      pruned = pruneArchived(db, { lastSeq: header.lastSeq, occurrencesBefore });
      db.prepare('DELETE FROM events WHERE seq > ? AND seq <= ?').run(start.seq, header.lastSeq);
      const time = this.#parts.stampTime();
      const fact = logArchived({
        ...rangeOf(header),
        segment: sealed.name,
        before,
        occurrencesBefore,
        prunedOccurrences: pruned,
      });
      const [entry] = sealDrafts(
        [{ type: fact.type, stream: fact.stream, dataJson: JSON.stringify(fact.data) }],
        headBefore,
        time,
      );
      const stored = toStoredEvent(entry!, JSON.parse(entry!.dataJson));
      const changes = projection.project([stored]);
      insertEntry(statements, entry!, changes.taskIds[0] ?? null);
      projection.write(changes, entry!.seq);
      record = recordOfSealed(sealed, entry!.seq, time);
      segments.insert(record);
      head = { seq: entry!.seq, hash: entry!.hash };
      if (known) mark.advance(head);
      checkpoint = hooks.beforeCommit(head, time);
      options.onStep('recording');
      statements.commit.run();
    } catch (error) {
      try {
        if (db.inTransaction) statements.rollback.run();
      } catch {
        // SQLite rolls back by itself when the rollback cannot be written either.
      }
      mark.reload();
      if (error instanceof CorruptLogError || error instanceof StateError) throw error;
      throw storageFault(error, { component, path, operation: 'archive' });
    }
    // A mark left behind the segment now counts from its end (see VerifiedMark).
    mark.reload();
    hooks.committed(head, checkpoint);
    options.onStep('recorded');
    return {
      segment: record,
      path: sealed.path,
      prunedOccurrences: pruned,
      before,
    };
  }
}
