import type { Command } from 'commander';
import { NotFoundError } from '../../domain/errors.js';
import type { CommandContext } from '../context.js';
import { escapeText, quoteText } from '../format/escapeText.js';
import { openScheduler, withWritableStore } from '../openLog.js';

/**
 * `planflow task pause <id>` and `planflow task resume <id>`: pause one task (its pending runs
 * wait, recorded as `task.paused`) or resume it (`task.resumed`; what came due meanwhile is
 * handled by the next `planflow run`'s missed check, as after a downtime).
 */
export function registerTaskPause(task: Command, ctx: CommandContext): void {
  for (const paused of [true, false]) {
    const verb = paused ? 'pause' : 'resume';
    task
      .command(verb)
      .description(
        paused
          ? 'pause a task: its pending runs wait until it is resumed (planflow trigger still runs it)'
          : 'resume a paused task: its pending runs are armed again by planflow run',
      )
      .argument('<id>', 'the task id (see planflow task list)')
      .action(async (id: string) => {
        const { io, style } = ctx;
        const changed = await withWritableStore(ctx, async (store) => {
          const scheduler = await openScheduler(store, io, { nowMs: io.clock.now() });
          const before = scheduler.getTask(id);
          if (before === undefined) {
            throw new NotFoundError(
              `task ${verb}: no task ${quoteText(id)}; see planflow task list`,
            );
          }
          if ((before.paused === true) === paused) return false;
          await (paused ? scheduler.pauseTask(id) : scheduler.resumeTask(id));
          return true;
        });
        const name = style.bold(escapeText(id));
        io.stdout(
          changed
            ? `${paused ? style.yellow('Paused') : style.green('Resumed')} task ${name}\n`
            : `Task ${name} is already ${paused ? 'paused' : 'running'}; nothing recorded\n`,
        );
      });
  }
}
