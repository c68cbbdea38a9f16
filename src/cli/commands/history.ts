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
import { readArchive } from '../../log/readArchive.js';
import { archiveFiles } from '../archiveFiles.js';
import type { CommandContext } from '../context.js';
import { inputError } from '../exitCodes.js';
import { describeEvent } from '../format/describeEvent.js';
import { escapeText, quoteText, toSafeJson } from '../format/escapeText.js';
import { OccurrenceTasks } from '../format/OccurrenceTasks.js';
import { renderTable } from '../format/table.js';
import { formatInstant, shortId } from '../format/time.js';
import { withLog } from '../openLog.js';

type HistoryFlags = { occurrence?: string; json?: boolean; archive?: string[] };

/** One page (as large as pages go) of the history of a task or an occurrence. */
function historyPage(about: HistoryQuery, cursor: string | undefined) {
  return parseHistoryQuery({
    ...about,
    limit: MAX_PAGE_LIMIT,
    ...(cursor === undefined ? {} : { cursor }),
  });
}

/** The occurrence an entry is about, if any. */
function occurrenceOf(event: StoredEvent): string | undefined {
  if (event.type === 'occurrence.scheduled') return event.data.occurrence.id;
  if (!event.type.startsWith('occurrence.')) return undefined;
  return (event.data as { occurrenceId?: string }).occurrenceId;
}

/** The task an entry is about, learning occurrences' tasks from their first entry. */
function taskOf(event: StoredEvent, tasks: OccurrenceTasks): string | undefined {
  tasks.learn(event);
  if (event.type === 'task.defined' || event.type === 'task.updated') return event.data.task.id;
  if (event.type === 'task.removed') return event.data.taskId;
  const occurrenceId = occurrenceOf(event);
  return occurrenceId === undefined ? undefined : tasks.taskOf(occurrenceId);
}

/** What `--archive` adds: the archived entries a query asks for, read from the segments. */
type Archived = Readonly<{
  entries: StoredEvent[];
  /** Occurrence ids in the archive starting with the `--occurrence` prefix. */
  occurrenceIds: ReadonlySet<string>;
}>;

async function readArchived(
  files: readonly string[],
  taskId: string | undefined,
  occurrencePrefix: string | undefined,
): Promise<Archived> {
  const entries: StoredEvent[] = [];
  const occurrenceIds = new Set<string>();
  const tasks = new OccurrenceTasks();
  for await (const batch of readArchive(files)) {
    for (const event of batch) {
      const task = taskOf(event, tasks);
      if (occurrencePrefix !== undefined) {
        const id = occurrenceOf(event);
        if (id?.startsWith(occurrencePrefix) !== true) continue;
        occurrenceIds.add(id);
      } else if (taskId !== undefined && task !== taskId) continue;
      entries.push(event);
    }
  }
  return { entries, occurrenceIds };
}

/**
 * A full occurrence id from the id or a unique prefix of it (as `run` and tables print). A
 * prefix is looked for among every occurrence in the log (and in `archived`, its archive).
 */
export async function resolveOccurrenceId(
  log: EventLog,
  given: string,
  archived: ReadonlySet<string> = new Set(),
): Promise<string> {
  if ((await log.record(given)) !== undefined || archived.has(given)) return given;
  const matches: string[] = [...archived];
  await readAllPages(async (cursor) => {
    const page = await log.queryRecords(
      parseOccurrenceQuery({ limit: MAX_PAGE_LIMIT, ...(cursor === undefined ? {} : { cursor }) }),
    );
    for (const record of page.items) {
      const { id } = record.occurrence;
      if (id.startsWith(given) && !archived.has(id)) matches.push(id);
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

async function entriesOf(
  log: EventLog,
  taskId: string | undefined,
  flags: HistoryFlags,
  cwd: string,
): Promise<StoredEvent[]> {
  if (taskId !== undefined && flags.occurrence !== undefined) {
    throw inputError('--occurrence', 'history: give a task id or --occurrence, not both');
  }
  const archived =
    flags.archive === undefined
      ? { entries: [], occurrenceIds: new Set<string>() }
      : await readArchived(archiveFiles(flags.archive, cwd), taskId, flags.occurrence);
  if (flags.occurrence !== undefined) {
    const occurrenceId = await resolveOccurrenceId(log, flags.occurrence, archived.occurrenceIds);
    const live =
      (await log.record(occurrenceId)) === undefined
        ? []
        : await readAllPages((cursor) => log.history(historyPage({ occurrenceId }, cursor)));
    return [...archived.entries.filter((e) => occurrenceOf(e) === occurrenceId), ...live];
  }
  if (taskId !== undefined) {
    // An id no task can have (control characters, blanks) simply names no task.
    const live = isId(taskId)
      ? await readAllPages((cursor) => log.history(historyPage({ taskId }, cursor)))
      : [];
    const entries = [...archived.entries, ...live];
    if (entries.length === 0) {
      throw new NotFoundError(
        `history: no task ${quoteText(taskId)} in the log; see planflow task list`,
      );
    }
    return entries;
  }
  const all: StoredEvent[] = [...archived.entries];
  for await (const batch of log.store.read()) all.push(...batch);
  return all;
}

/**
 * `planflow history [task-id] [--occurrence <id>] [--archive <segments…>] [--json]`: the log
 * entries about a task (its definition and all its runs), one occurrence, or — with neither —
 * the whole log; with `--archive`, the archived entries before the live log too.
 */
export function registerHistory(program: Command, ctx: CommandContext): void {
  program
    .command('history')
    .description('show what happened to a task or an occurrence (default: the whole log)')
    .argument('[task-id]', 'a task id (see planflow task list)')
    .option('--occurrence <id>', 'one occurrence: its id or a unique prefix such as o_1f3a9c0d')
    .option(
      '--archive <segments...>',
      'archive segments (files, or the directory holding them): include the archived entries',
    )
    .option('--json', 'print the log entries as JSON')
    .action(async (taskId: string | undefined, flags: HistoryFlags) => {
      const { io, style } = ctx;
      await withLog(ctx.dbPath(), async (log) => {
        const entries = await entriesOf(log, taskId, flags, io.cwd);
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
