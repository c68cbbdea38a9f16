import type { Command } from 'commander';
import { NotFoundError } from '../../domain/errors.js';
import { CommandApprovals } from '../approvals/CommandApprovals.js';
import { type LogCommand, logCommands, logIdentity } from '../approvals/logCommands.js';
import type { CommandContext } from '../context.js';
import { inputError } from '../exitCodes.js';
import { escapeText, quoteText } from '../format/escapeText.js';
import { renderTable } from '../format/table.js';
import { withLog } from '../openLog.js';

type ApproveFlags = { all?: boolean };

/** The commands `approve <task>…` names, each checked to be a task of the log with a command. */
function chosen(commands: readonly LogCommand[], ids: readonly string[]): LogCommand[] {
  return ids.map((id) => {
    const found = commands.find((c) => c.taskId === id);
    if (found === undefined) {
      throw new NotFoundError(
        `approve: no task ${quoteText(id)} with a command in the log; see planflow approve`,
      );
    }
    return found;
  });
}

/**
 * `planflow approve [task-id…] [--all]`: lets `planflow run` execute the commands of a log on
 * this machine. Without arguments it lists every command of the log, exactly (see
 * `quoteText`), with whether it is approved; with task ids or `--all` it approves those
 * commands — the exact text shown, for this task of this log file only.
 */
export function registerApprove(program: Command, ctx: CommandContext): void {
  program
    .command('approve')
    .description("list the log's commands, or approve them so planflow run may execute them")
    .argument('[task-id...]', 'tasks whose command to approve (see planflow approve)')
    .option('--all', 'approve every command in the log')
    .action(async (ids: string[], flags: ApproveFlags) => {
      const { io, style } = ctx;
      if (flags.all === true && ids.length > 0) {
        throw inputError('--all', 'approve: give task ids or --all, not both');
      }
      const commands = await withLog(ctx.dbPath(), (log) => logCommands(log.model.listTasks()));
      const approvals = await CommandApprovals.load(ctx.approvalsPath());
      const log = logIdentity(ctx.dbPath());
      if (flags.all !== true && ids.length === 0) {
        if (commands.length === 0) {
          io.stdout('This log holds no commands.\n');
          return;
        }
        const rows = commands.map((c) => [
          escapeText(c.taskId),
          approvals.isApproved(log, c.taskId, c.command)
            ? style.green('approved')
            : style.yellow('not approved'),
          quoteText(c.command),
        ]);
        io.stdout(renderTable(['TASK', 'STATUS', 'COMMAND'], rows));
        return;
      }
      const picked = flags.all === true ? commands : chosen(commands, ids);
      const now = new Date(io.clock.now());
      let changed = false;
      const lines = picked.map((c) => {
        const fresh = approvals.approve(log, c.taskId, c.command, now);
        changed ||= fresh;
        return `${fresh ? style.green('Approved') : 'Already approved'} ${escapeText(c.taskId)}: ${quoteText(c.command)}\n`;
      });
      if (changed) await approvals.save();
      io.stdout(lines.length === 0 ? 'This log holds no commands.\n' : lines.join(''));
    });
}
