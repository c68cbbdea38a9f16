import { CorruptLogError } from '../domain/errors.js';
import type { LogHead } from '../log/EventStore.js';
import type { StoredEvent } from '../log/events.js';
import { type VerifyResult, verifyChain } from '../log/verifyChain.js';
import { loadBetterSqlite3 } from './loadBetterSqlite3.js';
import { type LogStatements, readPage } from './logStatements.js';

/**
 * Rows per page while verifying. A page's rows and the entries made from them must die young:
 * measured on a million-entry log with the other core busy, 500-row pages verify in 2.7 s of
 * CPU against 3.9 s for 5 000-row pages, whose arrays outlive the young generation.
 */
const VERIFY_PAGE = 500;

/**
 * Pages through the file handing `verifyChain` entries whose `data` is still the stored JSON
 * text. Hashes are over that text, so there is nothing to parse or re-serialise — which
 * makes verifying on open a fraction of the cost of a full read.
 */
function* rawBatches(
  statements: LogStatements,
  beforePage: () => void,
  unreadable: { from?: number; reason?: string },
  fromSeq: number,
): Generator<readonly StoredEvent[]> {
  // After damaged pages are met, rows are read one at a time, so every entry before the
  // first unreadable one is still checked (and can be kept by a repair).
  let pageSize = VERIFY_PAGE;
  while (true) {
    beforePage();
    let rows: ReturnType<typeof readPage>;
    try {
      rows = readPage(statements, fromSeq, Number.POSITIVE_INFINITY, pageSize);
    } catch (error) {
      if (
        !(error instanceof loadBetterSqlite3().SqliteError) ||
        !/CORRUPT|NOTADB/.test(error.code)
      ) {
        throw error;
      }
      if (pageSize > 1) {
        pageSize = 1;
        continue;
      }
      unreadable.from = fromSeq;
      unreadable.reason = `${error.code}: ${error.message}`;
      return;
    }
    if (rows.length === 0) return;
    yield rows.map(
      (row) =>
        ({
          seq: row[0],
          id: row[1],
          type: row[2],
          time: row[3],
          stream: row[4],
          data: row[5],
          schemaVersion: row[6],
          prevHash: row[7],
          hash: row[8],
        }) as unknown as StoredEvent,
    );
    if (rows.length < pageSize) return;
    fromSeq = rows[rows.length - 1]![0] + 1;
  }
}

/**
 * Checks the file's hash chain against the stored text: the whole live log — from genesis,
 * or from the end of the newest archive segment, which its first entry must chain to — or
 * (with `after`) what follows an entry verified before. `beforePage` runs before each page
 * is read, so a store can stop a long verification when it is closed meanwhile.
 */
export async function verifyLogRows(
  statements: LogStatements,
  beforePage: () => void = () => {},
  after: LogHead = statements.start(),
): Promise<VerifyResult> {
  const unreadable: { from?: number; reason?: string } = {};
  const result = await verifyChain(
    rawBatches(statements, beforePage, unreadable, after.seq + 1),
    (event) => event.data as unknown as string,
    after,
  );
  if (!result.ok || unreadable.from === undefined) return result;
  return {
    ok: false,
    entries: result.entries,
    firstBadSeq: result.entries + 1,
    problem: 'unreadable',
    reason: `SQLite cannot read the entries from #${unreadable.from} on: the file's pages are damaged (${unreadable.reason})`,
  };
}

/** Turns a failed verification into the error callers see, with the way out in it. */
export function corruptLogError(
  component: string,
  path: string,
  result: VerifyResult,
): CorruptLogError | undefined {
  if (result.ok) return undefined;
  return new CorruptLogError(
    result.firstBadSeq,
    `${component}: the log at "${path}" fails verification at entry #${result.firstBadSeq}: ${result.reason}. Entries 1..${result.firstBadSeq - 1} verify and nothing was changed; run repairLog("${path}") to back the file up and keep only the valid entries, or restore it from a backup`,
    { damage: 'chain', path },
  );
}
