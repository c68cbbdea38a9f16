import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { repairLog } from '../../sqlite/index.js';
import type { CommandContext } from '../context.js';
import { inputError } from '../exitCodes.js';
import { escapeText, quoteText } from '../format/escapeText.js';

/**
 * `planflow repair [--backup <path>]`: backs the log up, then keeps only the entries up to
 * the first one that fails verification. Stop `planflow run` on this log first.
 */
export function registerRepair(program: Command, ctx: CommandContext): void {
  program
    .command('repair')
    .description('back the log up, then drop every entry from the first invalid one on')
    .option('--backup <path>', 'where to write the backup (default: <db>.bak-<timestamp>)')
    .action(async (flags: { backup?: string }) => {
      const { io, style } = ctx;
      const path = ctx.dbPath();
      if (!existsSync(path)) {
        throw inputError(
          '--db',
          `repair: no PlanFlow log at ${quoteText(path)}; nothing to repair`,
        );
      }
      const backupPath = flags.backup === undefined ? undefined : resolve(io.cwd, flags.backup);
      const result = await repairLog(path, backupPath === undefined ? {} : { backupPath });
      io.stdout(`Backup written to ${escapeText(result.backupPath)}\n`);
      if (result.removedEntries === 0) {
        io.stdout(
          `${style.green('Nothing to repair')}: all ${result.keptEntries} entries verify.\n`,
        );
      } else {
        io.stdout(
          `${style.yellow('Repaired')}: kept ${result.keptEntries} entries, removed ${result.removedEntries} (they remain in the backup).\n`,
        );
      }
    });
}
