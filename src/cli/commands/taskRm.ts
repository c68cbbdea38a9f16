import type { Command } from 'commander';
import { NotFoundError } from '../../domain/errors.js';
import { readAllPages } from '../../log/readAllPages.js';
import type { CommandContext } from '../context.js';
import { escapeText, quoteText } from '../format/escapeText.js';
import { openScheduler, withWritableStore } from '../openLog.js';

/** `planflow task rm <id>`: removes a task and cancels its pending runs. */
export function registerTaskRm(task: Command, ctx: CommandContext): void {
  task
    .command('rm')
    .alias('remove')
    .description('remove a task and cancel its pending runs')
    .argument('<id>', 'the task id (see planflow task list)')
    .action(async (id: string) => {
      const { io, style } = ctx;
      const cancelled = await withWritableStore(ctx, async (store) => {
        const scheduler = await openScheduler(store, io, { nowMs: io.clock.now() });
        if (scheduler.getTask(id) === undefined) {
          throw new NotFoundError(`task rm: no task ${quoteText(id)}; see planflow task list`);
        }
        const pending = (
          await readAllPages((cursor) =>
            scheduler.listExecutions({ taskId: id, state: 'scheduled', cursor }),
          )
        ).filter((e) => !e.triggered).length;
        await scheduler.removeTask(id);
        return pending;
      });
      io.stdout(
        `${style.green('Removed')} task ${style.bold(escapeText(id))} (${cancelled} pending run(s) cancelled)\n`,
      );
    });
}
