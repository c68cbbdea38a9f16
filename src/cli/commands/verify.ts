import type { Command } from 'commander';
import { inspectLog } from '../../sqlite/index.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exitCodes.js';
import { escapeText, toSafeJson } from '../format/escapeText.js';
import { requireLogFile } from '../openLog.js';

/**
 * `planflow verify`: checks the log file without changing it — its schema (the index that
 * keeps an occurrence from triggering twice among it), SQLite's integrity check, and the
 * whole hash chain. Exit 0 when all are sound; 1 when something is not, printing what and
 * how to repair it. The file is opened read-only: a missing, empty or foreign file is
 * refused and never turned into a log.
 */
export function registerVerify(program: Command, ctx: CommandContext): void {
  program
    .command('verify')
    .description('check the schema, the SQLite file and the hash chain (exit 1 when broken)')
    .option('--json', 'print the result as JSON')
    .action(async (flags: { json?: boolean }) => {
      const { io, style } = ctx;
      const path = ctx.dbPath();
      // Refuses a missing or empty file the way every other command does, before opening.
      requireLogFile(path);
      const { ok, chain, storageProblems } = await inspectLog(path);
      if (flags.json === true) io.stdout(`${toSafeJson({ ...chain, ok, storageProblems })}\n`);
      if (ok && chain.ok) {
        if (flags.json !== true) {
          io.stdout(
            `${style.green('ok')}: ${chain.entries} entr${chain.entries === 1 ? 'y' : 'ies'} verify; head ${escapeText(chain.headHash.slice(0, 16))}…\n`,
          );
        }
        return;
      }
      ctx.setExitCode(EXIT.failure);
      if (flags.json === true) return;
      for (const problem of storageProblems) {
        io.stdout(`${style.red('damaged')}: ${escapeText(problem)}\n`);
      }
      if (!chain.ok) {
        io.stdout(
          `${style.red('broken')} at entry #${chain.firstBadSeq}: ${escapeText(chain.reason)}\n` +
            `Entries 1..${chain.firstBadSeq - 1} verify.`,
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
