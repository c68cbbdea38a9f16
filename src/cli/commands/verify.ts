import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exitCodes.js';
import { escapeText, toSafeJson } from '../format/escapeText.js';
import { withStore } from '../openLog.js';

/**
 * `planflow verify`: checks the whole hash chain. Exit 0 when every entry verifies, 1 when
 * one does not, printing the first bad position and how many entries before it are sound.
 */
export function registerVerify(program: Command, ctx: CommandContext): void {
  program
    .command('verify')
    .description('check the hash chain of the log (exit 1 when it is broken)')
    .option('--json', 'print the result as JSON')
    .action(async (flags: { json?: boolean }) => {
      const { io, style } = ctx;
      const path = ctx.dbPath();
      // Not verified on open: reporting a broken chain is this command's job, not a failure.
      const result = await withStore(path, (store) => store.verify(), { verifyOnOpen: false });
      if (flags.json === true) io.stdout(`${toSafeJson(result)}\n`);
      if (result.ok) {
        if (flags.json !== true) {
          io.stdout(
            `${style.green('ok')}: ${result.entries} entr${result.entries === 1 ? 'y' : 'ies'} verify; head ${escapeText(result.headHash.slice(0, 16))}…\n`,
          );
        }
        return;
      }
      if (flags.json !== true) {
        io.stdout(
          `${style.red('broken')} at entry #${result.firstBadSeq}: ${escapeText(result.reason)}\n` +
            `Entries 1..${result.firstBadSeq - 1} verify. To keep them and move the rest to a backup: planflow repair --db ${escapeText(path)}\n`,
        );
      }
      ctx.setExitCode(EXIT.failure);
    });
}
