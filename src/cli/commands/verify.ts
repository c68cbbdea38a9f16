import { resolve } from 'node:path';
import type { Command } from 'commander';
import { verifyArchive } from '../../log/verifyArchive.js';
import type { VerifyProblem, VerifyResult } from '../../log/verifyChain.js';
import { parseLogHead, type VerifyOptions } from '../../log/verifyCheckpoints.js';
import { isPostgresUrl } from '../../postgres/postgresStoreOptions.js';
import { inspectLog } from '../../sqlite/index.js';
import { archiveFiles } from '../archiveFiles.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exitCodes.js';
import { escapeText, toSafeJson } from '../format/escapeText.js';
import { requireLogFile, withStore } from '../openLog.js';
import { readKeyFile } from '../readKeyFile.js';

type VerifyFlags = {
  json?: boolean;
  publicKey?: string;
  expectHead?: string;
  full?: boolean;
  archive?: string[];
};

/** How each finding is headed in the text output. */
const LABEL: Readonly<Record<VerifyProblem, string>> = {
  chain: 'broken',
  unreadable: 'broken',
  'bad-checkpoint': 'bad checkpoint',
  forged: 'forged',
  truncated: 'truncated',
  unsigned: 'unsigned',
  'expected-head': 'head mismatch',
  segment: 'archive',
};

/** What to do about a finding of the signed checkpoints (the chain itself verified). */
function adviceFor(problem: VerifyProblem, path: string): string {
  if (problem === 'truncated') {
    return ` If you did not expect this, restore the log from a backup; to accept the loss and go on: planflow repair --db ${escapeText(path)}\n`;
  }
  if (problem === 'unsigned') {
    return ' Check that it is the public key of the signing key the log is written with (planflow head shows the key id).\n';
  }
  return ' Restore the log from a backup and find out who could write it; do not run it until then.\n';
}

/** The `ok` line: entries, head, and what the key and the anchor vouch for. */
function okLine(
  chain: Extract<VerifyResult, { ok: true }>,
  flags: VerifyFlags,
  archivedUpTo: number,
): string {
  const what =
    flags.archive !== undefined
      ? `${chain.entries} entr${chain.entries === 1 ? 'y' : 'ies'} verify as one chain with the archive`
      : archivedUpTo > 0
        ? `the live entries ${archivedUpTo + 1}..${chain.entries} verify (1..${archivedUpTo} are archived: add --archive <dir> to verify them too)`
        : `${chain.entries} entr${chain.entries === 1 ? 'y' : 'ies'} verify`;
  const parts = [`${what}; head ${escapeText(chain.headHash.slice(0, 16))}…`];
  if (chain.signedUpTo !== undefined) {
    const unsigned =
      chain.signedUpTo < chain.entries
        ? ` (entries ${chain.signedUpTo + 1}..${chain.entries} are not signed yet)`
        : '';
    parts.push(`signed by the public key up to entry #${chain.signedUpTo}${unsigned}`);
  }
  if (flags.expectHead !== undefined) parts.push('the anchored head matches');
  return parts.join('; ');
}

/**
 * `planflow verify`: checks the log file without changing it — its schema (the index that
 * keeps an occurrence from triggering twice among it), the hash chain after the verified
 * mark (with `--full`: SQLite's integrity check and the whole chain) and the signed
 * checkpoints; with `--public-key`, that they are signed by that
 * key; with `--expect-head`, that a head anchored elsewhere is still in the log. Exit 0 when
 * all are sound; 1 when something is not, printing what and what to do. The file is opened
 * read-only: a missing, empty or foreign file is refused and never turned into a log.
 */
export function registerVerify(program: Command, ctx: CommandContext): void {
  program
    .command('verify')
    .description(
      'check the schema, the SQLite file, the hash chain and its signed checkpoints (exit 1 when broken)',
    )
    .option(
      '--public-key <file>',
      'the Ed25519 public key (PEM) the checkpoints must be signed with',
    )
    .option(
      '--expect-head <seq:hash>',
      'a head anchored elsewhere (planflow head) that must still be there',
    )
    .option(
      '--full',
      "SQLite's integrity check and the whole chain, not only what follows the verified mark",
    )
    .option(
      '--archive <segments...>',
      'archive segments (files, or the directory holding them): verify them and the log as one chain',
    )
    .option('--json', 'print the result as JSON')
    .action(async (flags: VerifyFlags) => {
      const { io, style } = ctx;
      const options: VerifyOptions = {
        ...(flags.full === true ? { full: true } : {}),
        ...(flags.publicKey === undefined
          ? {}
          : { publicKey: readKeyFile('--public-key', resolve(io.cwd, flags.publicKey), 'public') }),
        ...(flags.expectHead === undefined
          ? {}
          : {
              expectHead: parseLogHead(
                'verify',
                '--expect-head',
                flags.expectHead,
                'planflow:invalid-input',
              ),
            }),
      };
      const path = ctx.dbPath();
      // Refuses a missing or empty file the way every other command does, before opening.
      requireLogFile(path);
      // PostgreSQL: the store walks its chain (after the verified mark, or --full) and checks
      // its checkpoints; the server keeps its pages and indexes itself.
      const inspected = isPostgresUrl(path)
        ? await withStore(
            path,
            async (store) => ({
              chain: await store.verify(options),
              storageProblems: [] as string[],
              archivedUpTo: (await store.segments()).at(-1)?.lastSeq ?? 0,
            }),
            { readOnly: true, verifyOnOpen: false },
          )
        : await inspectLog(path, options);
      const { storageProblems } = inspected;
      let { chain } = inspected;
      if (flags.archive !== undefined) {
        const given = flags.archive;
        archiveFiles(given, io.cwd);
        // The live part was just walked; the archive walk adds the segments before it. The
        // files are listed again if an archive run records a segment during the walk.
        const files = () => archiveFiles(given, io.cwd);
        chain = await withStore(path, (store) => verifyArchive(files, store, options), {
          readOnly: true,
          verifyOnOpen: false,
        });
        if (chain.ok && !inspected.chain.ok) chain = inspected.chain;
      }
      const ok = chain.ok && storageProblems.length === 0;
      // Without --archive, an archived log's walk starts after its segments.
      const checkedFrom = flags.archive === undefined ? inspected.archivedUpTo + 1 : 1;
      if (flags.json === true) io.stdout(`${toSafeJson({ ...chain, ok, storageProblems })}\n`);
      if (ok && chain.ok) {
        if (flags.json !== true)
          io.stdout(`${style.green('ok')}: ${okLine(chain, flags, inspected.archivedUpTo)}\n`);
        return;
      }
      ctx.setExitCode(EXIT.failure);
      if (flags.json === true) return;
      for (const problem of storageProblems) {
        io.stdout(`${style.red('damaged')}: ${escapeText(problem)}\n`);
      }
      if (!chain.ok && chain.problem === 'segment') {
        io.stdout(
          `${style.red(LABEL.segment)}: ${escapeText(chain.reason)}\n` +
            ' Give every segment of the log (planflow verify --archive <dir>); a segment that was changed or lost is restored from a backup — the log itself cannot bring it back.\n',
        );
        return;
      }
      if (!chain.ok && chain.problem !== 'chain' && chain.problem !== 'unreadable') {
        io.stdout(
          `${style.red(LABEL[chain.problem])}: ${escapeText(chain.reason)}\n` +
            `The hash chain itself verifies; ${chain.firstBadSeq > 1 ? `entries 1..${chain.firstBadSeq - 1} are vouched for` : 'no entry is vouched for'}.`,
        );
        io.stdout(adviceFor(chain.problem, path));
        return;
      }
      if (!chain.ok) {
        io.stdout(
          `${style.red('broken')} at entry #${chain.firstBadSeq}: ${escapeText(chain.reason)}\n` +
            `Entries ${checkedFrom}..${chain.firstBadSeq - 1} verify${checkedFrom > 1 ? ` (1..${checkedFrom - 1} are archived)` : ''}.`,
        );
      } else {
        io.stdout(`All ${chain.entries} entries verify, but the file's guarantees are off.`);
      }
      io.stdout(
        storageProblems.length > 0
          ? ` To rebuild the file from the valid entries and keep the original as a backup: planflow repair --db ${escapeText(path)}\n`
          : ` To keep them and move the rest to a backup: planflow repair --db ${escapeText(path)}\n`,
      );
    });
}
