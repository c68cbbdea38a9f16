import type { Command } from 'commander';
import { NotFoundError } from '../../domain/errors.js';
import type { EventLog } from '../../log/EventLog.js';
import type { StoredEvent } from '../../log/events.js';
import type { CommandContext } from '../context.js';
import { inputError } from '../exitCodes.js';
import { describeEvent } from '../format/describeEvent.js';
import { escapeText, quoteText, toSafeJson } from '../format/escapeText.js';
import { renderTable } from '../format/table.js';
import { formatInstant, shortId } from '../format/time.js';
import { withLog } from '../openLog.js';

type HistoryFlags = { occurrence?: string; json?: boolean };

/** A full occurrence id from the id or a unique prefix of it (as `run` and tables print). */
export function resolveOccurrenceId(log: EventLog, given: string): string {
  if (log.model.getOccurrence(given) !== undefined) return given;
  const matches = log.model.listOccurrences().filter((o) => o.id.startsWith(given));
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length === 0) {
    throw new NotFoundError(
      `history: no occurrence ${quoteText(given)}; see planflow history <task-id>`,
    );
  }
  throw inputError(
    '--occurrence',
    `history: ${quoteText(given)} is the start of ${matches.length} occurrence ids; give more characters`,
  );
}

async function entriesOf(log: EventLog, taskId: string | undefined, flags: HistoryFlags) {
  if (taskId !== undefined && flags.occurrence !== undefined) {
    throw inputError('--occurrence', 'history: give a task id or --occurrence, not both');
  }
  if (flags.occurrence !== undefined) {
    return log.history({ occurrenceId: resolveOccurrenceId(log, flags.occurrence) });
  }
  if (taskId !== undefined) {
    const entries = await log.history({ taskId });
    if (entries.length === 0) {
      throw new NotFoundError(
        `history: no task ${quoteText(taskId)} in the log; see planflow task list`,
      );
    }
    return entries;
  }
  const all: StoredEvent[] = [];
  for await (const batch of log.store.read()) all.push(...batch);
  return all;
}

/**
 * `planflow history [task-id] [--occurrence <id>] [--json]`: the log entries about a task
 * (its definition and all its runs), one occurrence, or — with neither — the whole log.
 */
export function registerHistory(program: Command, ctx: CommandContext): void {
  program
    .command('history')
    .description('show what happened to a task or an occurrence (default: the whole log)')
    .argument('[task-id]', 'a task id (see planflow task list)')
    .option('--occurrence <id>', 'one occurrence: its id or a unique prefix such as o_1f3a9c0d')
    .option('--json', 'print the log entries as JSON')
    .action(async (taskId: string | undefined, flags: HistoryFlags) => {
      const { io, style } = ctx;
      await withLog(ctx.dbPath(), async (log) => {
        const entries = await entriesOf(log, taskId, flags);
        if (flags.json === true) {
          io.stdout(`${toSafeJson(entries, 2)}\n`);
          return;
        }
        const zone = log.model.calendar?.timeZone ?? 'UTC';
        const rows = entries.map((event) => {
          const s = describeEvent(event, log.model, style, zone);
          return [
            String(event.seq),
            formatInstant(event.time, zone),
            escapeText(event.type),
            s.task ?? '',
            s.occurrenceId === undefined ? '' : shortId(s.occurrenceId),
            s.detail,
          ];
        });
        io.stdout(renderTable(['SEQ', 'TIME', 'TYPE', 'TASK', 'OCCURRENCE', 'DETAIL'], rows));
      });
    });
}
