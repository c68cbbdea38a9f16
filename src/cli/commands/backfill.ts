import type { Command } from 'commander';
import { NotFoundError } from '../../domain/errors.js';
import type { CommandContext } from '../context.js';
import { inputError } from '../exitCodes.js';
import { escapeText, quoteText, toSafeJson } from '../format/escapeText.js';
import { formatInstant, shortId } from '../format/time.js';
import { openScheduler, withWritableStore } from '../openLog.js';
import { parseCliInstant } from '../parse/instant.js';

type BackfillFlags = Readonly<{ from: string; to: string; allAtOnce?: boolean; json?: boolean }>;

/**
 * `planflow backfill <task> --from <instant> --to <instant> [--all-at-once] [--json]`: records
 * the runs the task's recurrence would have had in `[from, to)` (`backfill`) for
 * `planflow run` to run — one after another, oldest first, or with `--all-at-once` all
 * together. They never count as missed, however long until `run` starts.
 */
export function registerBackfill(program: Command, ctx: CommandContext): void {
  program
    .command('backfill')
    .description("record the runs a task's recurrence would have had in a past range")
    .argument('<task>', 'the task id (see planflow task list)')
    .requiredOption('--from <instant>', 'the start of the range (inclusive)')
    .requiredOption('--to <instant>', 'the end of the range (exclusive), at most now')
    .option('--all-at-once', 'start the runs together instead of one after another')
    .option('--json', 'print JSON instead of text')
    .action(async (taskId: string, flags: BackfillFlags) => {
      const { io, style } = ctx;
      const nowMs = io.clock.now();
      const { result, timeZone } = await withWritableStore(ctx, async (store) => {
        // Never started: the runs are recorded for `planflow run`, which triggers them at once.
        const scheduler = await openScheduler(store, io, { nowMs });
        try {
          if (scheduler.getTask(taskId) === undefined) {
            throw new NotFoundError(
              `backfill: no task ${quoteText(taskId)}; see planflow task list`,
            );
          }
          const timeZone = scheduler.calendar.timeZone;
          const from = parseCliInstant(flags.from, '--from', nowMs, timeZone);
          const to = parseCliInstant(flags.to, '--to', nowMs, timeZone);
          if (Date.parse(to) > nowMs) {
            throw inputError(
              '--to',
              `backfill: --to must be at most now (${formatInstant(new Date(nowMs).toISOString(), timeZone)}); a backfill runs a past range, planflow run runs what is still to come`,
            );
          }
          const result = await scheduler.backfill(taskId, {
            from,
            to,
            overlap: flags.allAtOnce === true ? 'allowAll' : 'bufferAll',
          });
          return { result, timeZone };
        } finally {
          await scheduler.stop();
        }
      });
      if (flags.json === true) {
        io.stdout(`${toSafeJson(result, 2)}\n`);
        return;
      }
      const { slots, runs } = result;
      if (slots.length === 0) {
        io.stdout(`No slots of ${quoteText(taskId)} in that range; nothing recorded\n`);
        return;
      }
      const first = formatInstant(slots[0]!, timeZone);
      const last = formatInstant(slots.at(-1)!, timeZone);
      const how = flags.allAtOnce === true ? 'all at once' : 'one after another';
      io.stdout(
        `${style.green('Backfill recorded')}: ${escapeText(taskId)}, ${slots.length} slot(s) from ${first} to ${last}, ${how} (first run ${style.dim(shortId(runs[0]!.id))}); planflow run runs them\n`,
      );
    });
}
