import { existsSync, statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { CorruptLogError, PlanflowError, StorageError } from '../domain/errors.js';
import type { Checkpoint } from '../log/checkpoint.js';
import type { ResolvedSigning } from '../log/checkpointOptions.js';
import { type CheckpointSchedule, checkpointSchedule } from '../log/checkpointSchedule.js';
import type { LogHead, StoreClock } from '../log/EventStore.js';
import type { VerifyResult } from '../log/verifyChain.js';
import { type CheckpointEvidence, verifyCheckpoints } from '../log/verifyCheckpoints.js';
import { type CheckpointTable, prepareCheckpointTable } from './checkpointTable.js';
import type { CommitHooks } from './groupCommit.js';
import { headFilePath, readHeadFile, writeHeadFile } from './headFile.js';
import { storageFault } from './storageFault.js';

/**
 * Signed checkpoints of an SQLite log: the `checkpoints` table, written in the transaction
 * of the commit that moved the head, and the head file mirroring the latest one beside the
 * log. Kept apart from the store so the store only wires it in.
 */
export type SqliteCheckpoints = Readonly<{
  /** What the group commit calls around each commit (a no-op without a signing key). */
  hooks: CommitHooks;
  /** Everything `verify()` checks the chain against, read now. */
  evidence(): CheckpointEvidence;
  /** Every checkpoint in the table, oldest first. */
  all(): readonly Checkpoint[];
  /**
   * Signs the last head this store committed, unless a checkpoint covers it already, in a
   * transaction of its own, and mirrors it; then reports a head file that could not be
   * written. Called by `close()` after the last group commit.
   */
  close(): void;
}>;

type Site = Readonly<{ component: string; path: string }>;

/** How an operator goes on: accepting a lost tail is a repair, a rewritten log is not. */
function wayOut(path: string, result: Extract<VerifyResult, { ok: false }>): string {
  if (result.problem === 'truncated') {
    return `Nothing was changed. Restore the log from a backup; or, to accept the loss and go on from entry #${result.entries}, run repairLog("${path}") (planflow repair): it keeps every entry and moves the checkpoints naming lost ones, and the head file, to the backup`;
  }
  return 'Nothing was changed. The entries or the checkpoints were altered: restore the log from a backup and find out who could write it (planflow repair would keep the entries as they are and only set the contradicting checkpoints aside)';
}

/** The refusal of a log that contradicts its own checkpoints. */
function checkpointError(site: Site, result: Extract<VerifyResult, { ok: false }>) {
  return new CorruptLogError(
    result.firstBadSeq,
    `${site.component}: the log at "${site.path}" does not match its signed checkpoints (${result.problem}): ${result.reason}. ${wayOut(site.path, result)}`,
    { damage: 'chain', path: site.path },
  );
}

/**
 * A head file that could not be written, as a `StorageError` whatever the OS said: the
 * entries and checkpoints are committed, but the mirror that guards them lags behind.
 */
function headFileError(site: Site, error: unknown): PlanflowError {
  const fault = storageFault(error, {
    ...site,
    operation: `write the head file "${headFilePath(site.path)}" of`,
  });
  if (fault instanceof PlanflowError) return fault;
  return new StorageError(
    'planflow:storage-io',
    `${site.component}: cannot write the head file "${headFilePath(site.path)}" of "${site.path}": ${error instanceof Error ? error.message : String(error)}; the entries and checkpoints are committed, but the head file still names an older checkpoint — make its directory writable (or remove what is in the way); the next store that signs writes it again`,
    { path: site.path, cause: error },
  );
}

/**
 * Refuses to open (and so to re-create) a log that is gone or empty while its head file
 * says entries were written: opening would make a fresh, empty log there and hide the loss.
 */
export function refuseLostLog(component: string, path: string): void {
  if (path === ':memory:') return;
  const mirror = readHeadFile(path);
  if (mirror === undefined) return;
  const state = !existsSync(path) ? 'missing' : statSync(path).size === 0 ? 'empty' : undefined;
  if (state === undefined) return;
  const seq = 'checkpoint' in mirror ? mirror.checkpoint.seq : undefined;
  throw new CorruptLogError(
    1,
    `${component}: the log at "${path}" is ${state === 'missing' ? 'missing' : 'empty (0 bytes)'}, but its head file "${mirror.where}" says ${seq === undefined ? 'a log was written there' : `entries 1..${seq} were written`}: the file was deleted or cut short. Restore it from a backup; to start a new log there instead, move "${mirror.where}" aside first`,
    { damage: 'chain', path },
  );
}

/**
 * What a separate reader checks a log's chain against: every checkpoint in the table and
 * the head file. A file whose schema is damaged may lack the table; it then has none (the
 * schema problem is reported on its own).
 */
export function checkpointEvidenceOf(db: Database.Database, path: string): CheckpointEvidence {
  let checkpoints: readonly Checkpoint[] = [];
  let hashAt: (seq: number) => string | undefined = () => undefined;
  let archivedUpTo = 0;
  try {
    const table = prepareCheckpointTable(db);
    checkpoints = table.all();
    hashAt = table.hashAt;
    archivedUpTo = table.archivedUpTo();
  } catch {
    // No checkpoints table (a damaged schema): nothing to compare but the head file.
    const lookup = db.prepare<[number], string>('SELECT hash FROM events WHERE seq = ?').pluck();
    hashAt = (seq) => lookup.get(seq);
  }
  return {
    checkpoints,
    mirror: path === ':memory:' ? undefined : readHeadFile(path),
    hashAt,
    archivedUpTo,
  };
}

/**
 * Sets up the checkpoints of a just-opened, migrated log and checks the latest ones: the
 * head file and the table's last checkpoint must name entries the log has, with their
 * hashes, and (with a signing key) those signed by it must verify. This is cheap — two
 * lookups and at most two signatures — and runs whenever the store signs or verifies on
 * open, so a store never signs on top of a log that lost or changed signed entries, which
 * would overwrite the evidence. `verify()` checks every checkpoint.
 * @throws CorruptLogError when the log contradicts them.
 */
export function openCheckpoints(
  db: Database.Database,
  site: Site,
  options: Readonly<{
    signing: ResolvedSigning | undefined;
    check: boolean;
    head: LogHead;
    clock: StoreClock;
  }>,
): SqliteCheckpoints {
  const table: CheckpointTable = prepareCheckpointTable(db);
  const latest = table.latest();
  const { signing, clock } = options;
  // An in-memory database has no place beside it for a head file.
  const headFileOf = site.path === ':memory:' ? () => undefined : () => readHeadFile(site.path);
  if (options.check || signing !== undefined) {
    const chain: VerifyResult = {
      ok: true,
      entries: options.head.seq,
      headHash: options.head.hash,
    };
    const evidence: CheckpointEvidence = {
      checkpoints: latest === undefined ? [] : [latest],
      mirror: headFileOf(),
      hashAt: table.hashAt,
    };
    const result = verifyCheckpoints(
      chain,
      evidence,
      signing === undefined ? {} : { publicKey: signing.signer.publicKey },
    );
    // A log that was never signed (or not by this key) is fine to open: nothing contradicts.
    if (!result.ok && result.problem !== 'unsigned') throw checkpointError(site, result);
  }
  const schedule: CheckpointSchedule | undefined =
    signing && checkpointSchedule(signing.signer, signing.every, latest, clock.now());

  let lastCommitted: LogHead | undefined;
  // The latest checkpoint not yet mirrored: a head file that cannot be written (a full disk)
  // does not fail the appends, whose entries and checkpoint are committed; it is retried.
  let unmirrored: Checkpoint | undefined;
  let mirrorError: unknown;
  const mirror = (): void => {
    if (unmirrored === undefined || site.path === ':memory:') return;
    try {
      writeHeadFile(site.path, unmirrored);
      unmirrored = undefined;
      mirrorError = undefined;
    } catch (error) {
      mirrorError = error;
    }
  };

  const hooks: CommitHooks = {
    beforeCommit(head, time) {
      const checkpoint = schedule?.due(head, Date.parse(time));
      if (checkpoint !== undefined) table.insert(checkpoint);
      return checkpoint;
    },
    committed(head, checkpoint) {
      lastCommitted = head;
      if (checkpoint !== undefined) {
        schedule?.recorded(checkpoint);
        unmirrored = checkpoint;
      }
      mirror();
    },
  };

  return Object.freeze({
    hooks,
    evidence: () => ({
      checkpoints: table.all(),
      mirror: headFileOf(),
      hashAt: table.hashAt,
      archivedUpTo: table.archivedUpTo(),
    }),
    all: () => table.all(),
    close() {
      const final =
        lastCommitted === undefined ? undefined : schedule?.final(lastCommitted, clock.now());
      if (final !== undefined) {
        db.transaction(() => table.insert(final)).immediate();
        schedule?.recorded(final);
        unmirrored = final;
      }
      mirror();
      if (mirrorError !== undefined) throw headFileError(site, mirrorError);
    },
  });
}
