import type { Command } from 'commander';
import { NotFoundError } from '../../domain/errors.js';
import type { Occurrence } from '../../domain/types.js';
import { MAX_NEXT_RUNS } from '../../domain/validateNextRuns.js';
import type { CommandContext } from '../context.js';
import { inputError } from '../exitCodes.js';
import { escapeText, quoteText, toSafeJson } from '../format/escapeText.js';
import { moveText } from '../format/moveText.js';
import { renderTable } from '../format/table.js';
import { formatInstant, shortId } from '../format/time.js';
import { openScheduler, withStore } from '../openLog.js';
import { parseCliInstant } from '../parse/instant.js';

type NextFlags = Readonly<{ from?: string; json?: boolean }>;

/** Runs `next` lists when `[n]` is not given. */
const DEFAULT_COUNT = 5;

function countOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_COUNT;
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!(n >= 1 && n <= MAX_NEXT_RUNS)) {
    throw inputError(
      '[n]',
      `next: n must be a whole number from 1 to ${MAX_NEXT_RUNS}, got ${JSON.stringify(text)}`,
    );
  }
  return n;
}

/**
 * `planflow next <task> [n] [--from <instant>] [--json]`: the task's next runs as the planner
 * would place them (the calendar applied), read from the log opened read-only, so nothing is
 * recorded.
 */
export function registerNext(program: Command, ctx: CommandContext): void {
  program
    .command('next')
    .description('list the next runs of a task as the planner would place them (records nothing)')
    .argument('<task>', 'the task id (see planflow task list)')
    .argument('[n]', `how many runs, 1 to ${MAX_NEXT_RUNS} (default ${DEFAULT_COUNT})`)
    .option(
      '--from <instant>',
      'list the runs at or after this instant instead of the next pending one',
    )
    .option('--json', 'print JSON instead of a table')
    .action(async (taskId: string, n: string | undefined, flags: NextFlags) => {
      const { io, style } = ctx;
      const count = countOf(n);
      const nowMs = io.clock.now();
      const { runs, timeZone } = await withStore(
        ctx.dbPath(),
        async (store) => {
          const scheduler = await openScheduler(store, io, { nowMs });
          if (scheduler.getTask(taskId) === undefined) {
            throw new NotFoundError(`next: no task ${quoteText(taskId)}; see planflow task list`);
          }
          const timeZone = scheduler.calendar.timeZone;
          const from =
            flags.from === undefined
              ? undefined
              : parseCliInstant(flags.from, '--from', nowMs, timeZone);
          const listed = await scheduler.nextRuns(
            taskId,
            count,
            from === undefined ? {} : { from },
          );
          return { runs: listed, timeZone };
        },
        { readOnly: true },
      );
      if (flags.json === true) {
        io.stdout(`${toSafeJson(runs, 2)}\n`);
        return;
      }
      if (runs.length === 0) {
        io.stdout(`No upcoming runs for ${quoteText(taskId)}\n`);
        return;
      }
      const rows = runs.map((run: Occurrence, i) => [
        String(i + 1),
        formatInstant(run.scheduledFor, timeZone),
        run.slotName === undefined ? '-' : escapeText(run.slotName),
        style.dim(shortId(run.id)),
        run.moved === undefined ? '' : style.yellow(moveText(run.moved, timeZone)),
      ]);
      io.stdout(renderTable(['#', 'WHEN', 'SLOT', 'OCCURRENCE', 'NOTE'], rows));
    });
}
