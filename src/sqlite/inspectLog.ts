import type Database from 'better-sqlite3';
import { CorruptLogError } from '../domain/errors.js';
import type { LogHead } from '../log/EventStore.js';
import type { VerifyResult } from '../log/verifyChain.js';
import {
  resolveVerifyOptions,
  type VerifyOptions,
  verifyCheckpoints,
} from '../log/verifyCheckpoints.js';
import { integrityProblems } from './integrityProblems.js';
import { prepareLogStatements } from './logStatements.js';
import { openLogDatabase } from './openLogDatabase.js';
import { prepareSegmentTable } from './segmentTable.js';
import { checkpointEvidenceOf } from './sqliteCheckpoints.js';
import { guarded, storageFault } from './storageFault.js';
import { VerifiedMark } from './VerifiedMark.js';
import { verifyLogRows } from './verifyLog.js';
import { segmentFactProblem } from './verifySegmentFact.js';

const COMPONENT = 'inspectLog';

/** What {@link inspectLog} found. */
export type LogInspection = Readonly<{
  /** True when the chain verifies and the file has no storage problem. */
  ok: boolean;
  /**
   * The hash chain, checked as far as the entries can be read, then against the signed
   * checkpoints (the table and `<path>.head`) and `options`.
   */
  chain: VerifyResult;
  /**
   * What is wrong below the chain, one sentence each: a missing, changed or extra schema
   * object, or what SQLite's `integrity_check` reports. Empty when the file is sound.
   */
  storageProblems: readonly string[];
  /**
   * The last entry archived into a segment (0: none). The chain walk starts after it; check
   * the segments too with `verifyArchive` (`planflow verify --archive`).
   */
  archivedUpTo: number;
}>;

/**
 * The chain after the verified mark; the whole chain when the entry the mark names is gone or
 * changed, since only a full walk can then say what happened.
 */
async function verifySinceMark(db: Database.Database, path: string): Promise<VerifyResult> {
  let after: LogHead | undefined;
  try {
    after = new VerifiedMark(db).check(COMPONENT, path);
  } catch (error) {
    if (!(error instanceof CorruptLogError)) throw error;
  }
  return verifyLogRows(prepareLogStatements(db), () => {}, after);
}

/**
 * Checks a log file without changing it: the schema against what PlanFlow builds, SQLite's
 * `integrity_check` (pages, and that every index matches its table; with `options.full`), then
 * the hash chain (all of it with `full`, else what follows the verified mark) and the signed
 * checkpoints (with `options`, against a public key and an anchored head). Opens
 * the file read-only, so it never creates, converts or migrates anything; a missing, empty or
 * foreign file is refused with a `StorageError`, and a file SQLite cannot read at all with a
 * `CorruptLogError`. Damage is reported, not thrown — this is what
 * `planflow verify` runs.
 *
 * @example
 * const { ok, chain, storageProblems } = await inspectLog('planflow.db');
 */
export async function inspectLog(path: string, options?: VerifyOptions): Promise<LogInspection> {
  const { full } = resolveVerifyOptions(COMPONENT, options);
  const log = openLogDatabase(path, {
    component: COMPONENT,
    synchronous: 'FULL',
    readOnly: true,
    allowDamagedSchema: true,
  });
  try {
    const storageProblems = [
      ...log.schemaProblems,
      ...(full
        ? guarded({ component: COMPONENT, path, operation: 'check' }, () =>
            integrityProblems(log.db),
          )
        : []),
    ];
    const evidence = checkpointEvidenceOf(log.db, path);
    const walked =
      full || log.schemaProblems.length > 0
        ? await verifyLogRows(prepareLogStatements(log.db))
        : await verifySinceMark(log.db, path);
    const segment =
      walked.ok && log.schemaProblems.length === 0
        ? segmentFactProblem(log.db, prepareSegmentTable(log.db).last())
        : undefined;
    const chain = verifyCheckpoints(segment ?? walked, evidence, options);
    return {
      ok: chain.ok && storageProblems.length === 0,
      chain,
      storageProblems,
      archivedUpTo: evidence.archivedUpTo ?? 0,
    };
  } catch (error) {
    throw storageFault(error, { component: COMPONENT, path, operation: 'verify' });
  } finally {
    log.close();
  }
}
