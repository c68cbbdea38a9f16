import { resolve } from 'node:path';
import type { Command } from 'commander';
import { repairLog } from '../../sqlite/index.js';
import type { CommandContext } from '../context.js';
import { escapeText } from '../format/escapeText.js';
import { requireLogFile, requireSqliteDb } from '../openLog.js';

/**
 * `planflow repair [--backup <path>] [--archive-dir <dir>]`: backs the log up, then keeps every entry that can be
 * trusted — deleting the tail from the first invalid entry on, or, when the SQLite file
 * itself is damaged (a missing index, damaged pages), copying the valid entries into a fresh
 * file. Stop `planflow run` on this log first.
 */
export function registerRepair(program: Command, ctx: CommandContext): void {
  program
    .command('repair')
    .description(
      'back the log up, then keep only the entries that verify (rebuilding a damaged file)',
    )
    .option('--backup <path>', 'where to write the backup (default: <db>.bak-<timestamp>)')
    .option(
      '--archive-dir <dir>',
      'where the archive segments of an archived log are, if moved (the read model is rebuilt from them too)',
    )
    .action(async (flags: { backup?: string; archiveDir?: string }) => {
      const { io, style } = ctx;
      const path = ctx.dbPath();
      requireSqliteDb(path, 'repair');
      requireLogFile(path);
      const backupPath = flags.backup === undefined ? undefined : resolve(io.cwd, flags.backup);
      const result = await repairLog(path, {
        ...(backupPath === undefined ? {} : { backupPath }),
        ...(flags.archiveDir === undefined
          ? {}
          : { archiveDir: resolve(io.cwd, flags.archiveDir) }),
      });
      io.stdout(`Backup written to ${escapeText(result.backupPath)}\n`);
      for (const problem of result.problems) io.stdout(`  ${escapeText(problem)}\n`);
      if (result.method === 'none') {
        io.stdout(
          `${style.green('Nothing to repair')}: all ${result.keptEntries} entries verify.\n`,
        );
        return;
      }
      const how =
        result.method === 'rebuild'
          ? 'rebuilt the file from the valid entries'
          : 'removed the invalid tail';
      io.stdout(
        `${style.yellow('Repaired')} (${how}): kept ${result.keptEntries} entries, removed ${result.removedEntries} (they remain in the backup).\n`,
      );
    });
}
