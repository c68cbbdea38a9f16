import { readdirSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { CorruptLogError, StateError, ValidationError } from '../domain/errors.js';
import type { IsoInstant } from '../domain/types.js';
import type { ArchiveResult, SegmentRecord } from '../log/ArchivingStore.js';
import type { Checkpoint } from '../log/checkpoint.js';
import { type LogHead, type StoreClock, toIso } from '../log/EventStore.js';
import type { StoredEvent } from '../log/events.js';
import { logArchived } from '../log/facts.js';
import { type HeldBack, heldBackBy, RECENT_OCCURRENCES_MS } from '../log/leavesReadModel.js';
import { sealDrafts, toStoredEvent } from '../log/prepareAppend.js';
import type { ResolvedArchiveRun } from '../log/retentionOptions.js';
import { SegmentBody } from '../log/SegmentBody.js';
import { segmentFileName, segmentFilePrefix } from '../log/segmentFormat.js';
import { verifyChain } from '../log/verifyChain.js';
import type { CheckpointTable } from './checkpointTable.js';
import type { CommitHooks } from './groupCommit.js';
import { insertEntry, type LogStatements, readHead, readPage } from './logStatements.js';
import { pruneArchived } from './pruneArchived.js';
import { SegmentFile } from './SegmentFile.js';
import type { SegmentTable } from './segmentTable.js';
import type { SqliteProjection } from './sqliteProjection.js';
import { storageFault } from './storageFault.js';
import type { VerifiedMark } from './VerifiedMark.js';
import { corruptLogError } from './verifyLog.js';

/** Rows read (and lines written) per page while sealing a segment. */
const PAGE = 500;

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
    removeLeftovers(
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
    removeLeftovers(dir, basename(path), start.seq + 1);
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
  ): Promise<Sealed> {
    const { statements, checkpoints, beforePage, component, path } = this.#parts;
    const inRange = checkpoints.all().filter((c) => c.seq > start.seq && c.seq <= last);
    const wanted = new Set(inRange.map((c) => c.seq));
    const hashes = new Map<number, string>();
    const body = new SegmentBody();
    const file = new SegmentFile(dir, name);
    async function* pages(): AsyncGenerator<readonly StoredEvent[]> {
      for (let next = start.seq + 1; next <= last; ) {
        beforePage();
        const rows = readPage(statements, next, last, PAGE);
        if (rows.length === 0) return;
        let text = '';
        const batch = new Array<StoredEvent>(rows.length);
        for (let i = 0; i < rows.length; i++) {
          const [seq, id, type, time, stream, dataJson, schemaVersion, prevHash, hash] = rows[i]!;
          text += body.line({
            seq,
            id,
            type,
            time,
            stream,
            dataJson,
            schemaVersion,
            prevHash,
            hash,
          });
          if (wanted.has(seq)) hashes.set(seq, hash);
          batch[i] = {
            seq,
            id,
            type,
            time,
            stream,
            data: dataJson,
            schemaVersion,
            prevHash,
            hash,
          } as never;
        }
        await file.write(text);
        yield batch;
        next = rows[rows.length - 1]![0] + 1;
      }
    }
    try {
      const chain = await verifyChain(pages(), (e) => e.data as unknown as string, start);
      const broken = corruptLogError(component, path, chain);
      if (broken !== undefined) throw broken;
      if (chain.entries !== last) {
        throw new CorruptLogError(
          chain.entries + 1,
          `${component}: cannot archive "${path}": entries ${chain.entries + 1}..${last} are missing from the log. Nothing was changed; check it with planflow verify --full`,
          { path },
        );
      }
      for (const checkpoint of inRange) {
        if (hashes.get(checkpoint.seq) !== checkpoint.hash) {
          throw new CorruptLogError(
            checkpoint.seq,
            `${component}: cannot archive "${path}": the signed checkpoint of entry #${checkpoint.seq} does not match the entry (forged). Nothing was changed; check it with planflow verify --full --public-key <key>`,
            { path },
          );
        }
      }
      const header = body.header(inRange, this.#parts.stampTime());
      const written = await file.seal(header, options.onStep);
      return { ...written, header, dir, name };
    } catch (error) {
      await file.discard();
      if (error instanceof CorruptLogError || error instanceof StateError) throw error;
      throw storageFault(error, { component, path, operation: 'archive' });
    }
  }

  /** Phase 2: records the sealed segment and takes its entries out, in one transaction. */
  #record(
    start: LogHead,
    sealed: Sealed,
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
        firstSeq: header.firstSeq,
        lastSeq: header.lastSeq,
        count: header.count,
        firstPrevHash: header.firstPrevHash,
        lastHash: header.lastHash,
        segment: sealed.name,
        sha256: header.sha256,
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
      record = Object.freeze({
        firstSeq: header.firstSeq,
        lastSeq: header.lastSeq,
        count: header.count,
        firstPrevHash: header.firstPrevHash,
        lastHash: header.lastHash,
        sha256: header.sha256,
        file: sealed.name,
        dir: sealed.dir,
        bytes: sealed.bytes,
        factSeq: entry!.seq,
        archivedAt: time,
      });
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

/** A segment file written and named, not yet recorded. */
type Sealed = Readonly<{
  path: string;
  bytes: number;
  dir: string;
  name: string;
  header: ReturnType<SegmentBody['header']>;
}>;

/**
 * Removes what a crashed run of this log may have left in `dir`: hidden temporary files, and
 * a segment starting where the live log starts — sealed but never recorded, its entries are
 * all still live. Recorded segments all end before that, so they are never touched.
 */
function removeLeftovers(dir: string, logName: string, firstSeq: number): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const unrecorded = segmentFilePrefix(logName, firstSeq);
  for (const name of names) {
    const temporary = name.startsWith(`.${logName}.`) && name.endsWith('.tmp');
    const orphan = name.startsWith(unrecorded) && name.endsWith('.jsonl.gz');
    if (temporary || orphan) rmSync(join(dir, name), { force: true });
  }
}
