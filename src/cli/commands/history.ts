import type { Command } from 'commander';
import { NotFoundError } from '../../domain/errors.js';
import type { HistoryQuery } from '../../domain/types.js';
import { parseHistoryQuery } from '../../domain/validateHistoryQuery.js';
import { isId } from '../../domain/validateId.js';
import { parseOccurrenceQuery } from '../../domain/validateOccurrenceQuery.js';
import { MAX_PAGE_LIMIT } from '../../domain/validatePageRequest.js';
import type { EventLog } from '../../log/EventLog.js';
import type { StoredEvent } from '../../log/events.js';
import { readAllPages } from '../../log/readAllPages.js';
import type { CommandContext } from '../context.js';
import { inputError } from '../exitCodes.js';
import { describeEvent } from '../format/describeEvent.js';
import { escapeText, quoteText, toSafeJson } from '../format/escapeText.js';
import { OccurrenceTasks } from '../format/OccurrenceTasks.js';
import { renderTable } from '../format/table.js';
import { formatInstant, shortId } from '../format/time.js';
import { withLog } from '../openLog.js';

type HistoryFlags = { occurrence?: string; json?: boolean };

/** One page (as large as pages go) of the history of a task or an occurrence. */
function historyPage(about: HistoryQuery, cursor: string | undefined) {
  return parseHistoryQuery({
    ...about,
    limit: MAX_PAGE_LIMIT,
    ...(cursor === undefined ? {} : { cursor }),
  });
}

/**
 * A full occurrence id from the id or a unique prefix of it (as `run` and tables print). A
 * prefix is looked for among every occurrence in the log.
 */
export async function resolveOccurrenceId(log: EventLog, given: string): Promise<string> {
  if ((await log.record(given)) !== undefined) return given;
  const matches: string[] = [];
  await readAllPages(async (cursor) => {
    const page = await log.queryRecords(
      parseOccurrenceQuery({ limit: MAX_PAGE_LIMIT, ...(cursor === undefined ? {} : { cursor }) }),
    );
    for (const record of page.items) {
      if (record.occurrence.id.startsWith(given)) matches.push(record.occurrence.id);
    }
    return { items: [], ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) };
  });
  if (matches.length === 1) return matches[0]!;
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
    const occurrenceId = await resolveOccurrenceId(log, flags.occurrence);
    return readAllPages((cursor) => log.history(historyPage({ occurrenceId }, cursor)));
  }
  if (taskId !== undefined) {
    // An id no task can have (control characters, blanks) simply names no task.
    const entries = isId(taskId)
      ? await readAllPages((cursor) => log.history(historyPage({ taskId }, cursor)))
      : [];
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
        const occurrenceTasks = new OccurrenceTasks();
        const lookup = {
          getTask: (id: string) => log.model.getTask(id),
          taskOfOccurrence: (id: string) => occurrenceTasks.taskOf(id),
        };
        const rows = entries.map((event) => {
          occurrenceTasks.learn(event);
          const s = describeEvent(event, lookup, style, zone);
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
