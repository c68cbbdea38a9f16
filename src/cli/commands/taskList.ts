import type { Command } from 'commander';
import type { Execution, Task } from '../../domain/types.js';
import type { EventLog } from '../../log/EventLog.js';
import type { CommandContext } from '../context.js';
import { escapeText, toSafeJson } from '../format/escapeText.js';
import { renderTable } from '../format/table.js';
import { formatInstant } from '../format/time.js';
import { withLog } from '../openLog.js';
import { formatDuration } from '../parse/duration.js';

/** A task as `task list` reports it: its definition plus where its runs stand. */
export type TaskRow = Readonly<{
  task: Task;
  /** The earliest pending run, if any. */
  next?: Execution;
  /** The run that finished last, if any. */
  last?: Execution;
}>;

/** States of a run that finished (its handler ran to an outcome), possibly followed up. */
const FINISHED_STATES = ['done', 'failed', 'retrying', 'recurred', 'recovered'] as const;

/** Runs read back per task to find the one that finished last. */
const RECENT_RUNS = 50;

/**
 * Summarises each task's runs: the earliest waiting one from the live set, and the one that
 * finished last from the newest of its runs in the store (so the cost does not grow with the
 * history).
 */
export async function taskRows(log: EventLog): Promise<TaskRow[]> {
  const rows: TaskRow[] = [];
  for (const task of log.model.listTasks()) {
    const next = log.model
      .waitingOf(task.id)
      .sort((a, b) => a.scheduledFor.localeCompare(b.scheduledFor))[0];
    const recent = await log.queryRecords({
      taskId: task.id,
      states: FINISHED_STATES,
      limit: RECENT_RUNS,
      descending: true,
    });
    const last = recent.items
      .map((record) => record.execution)
      .filter((e) => e.finishedAt !== undefined)
      .sort((a, b) => (b.finishedAt ?? '').localeCompare(a.finishedAt ?? ''))[0];
    const row: { task: Task; next?: Execution; last?: Execution } = { task };
    if (next !== undefined) row.next = next;
    if (last !== undefined) row.last = last;
    rows.push(row);
  }
  return rows;
}

/** How a task is scheduled, in a few words (stored text escaped). */
export function describeSchedule(task: Task, timeZone: string): string {
  const parts: string[] = [];
  const r = task.recurrence;
  if (r?.kind === 'interval') parts.push(`every ${formatDuration(r.everyMs)}`);
  if (r?.kind === 'cron')
    parts.push(`cron "${r.cron}"${r.timeZone === undefined ? '' : ` ${r.timeZone}`}`);
  if (r?.kind === 'rrule') parts.push(`rrule "${r.rrule.replaceAll('\n', ' ')}"`);
  if (task.pinnedTime !== undefined)
    parts.push(`pinned ${formatInstant(task.pinnedTime, timeZone)}`);
  if (task.startAt !== undefined && r === undefined) parts.push('once');
  return escapeText(parts.join(', ') || 'by hand');
}

function lastOutcome(e: Execution | undefined): string {
  if (e === undefined) return '-';
  return escapeText(String(e.outcome ?? e.state));
}

/** `planflow task list [--json]`: every task with its schedule, next run and last outcome. */
export function registerTaskList(task: Command, ctx: CommandContext): void {
  task
    .command('list')
    .alias('ls')
    .description('list tasks with their next run and last outcome')
    .option('--json', 'print JSON instead of a table')
    .action(async (flags: { json?: boolean }) => {
      const { io, style } = ctx;
      await withLog(ctx.dbPath(), async (log) => {
        const rows = await taskRows(log);
        if (flags.json === true) {
          io.stdout(`${toSafeJson(rows, 2)}\n`);
          return;
        }
        if (rows.length === 0) {
          io.stdout(
            'No tasks yet. Add one with: planflow task add "Title" --at +15m --run "<command>"\n',
          );
          return;
        }
        const zone = log.model.calendar?.timeZone ?? 'UTC';
        const table = rows.map(({ task: t, next, last }) => {
          const outcome = lastOutcome(last);
          const coloured =
            outcome === 'completed'
              ? style.green(outcome)
              : outcome === 'failed'
                ? style.red(outcome)
                : outcome;
          return [
            style.bold(escapeText(t.id)),
            escapeText(t.title),
            describeSchedule(t, zone),
            `${next === undefined ? '-' : formatInstant(next.scheduledFor, zone)}${t.paused === true ? ` ${style.yellow('(paused)')}` : ''}`,
            coloured,
            typeof t.payload?.run === 'string' ? escapeText(t.payload.run) : '-',
          ];
        });
        io.stdout(renderTable(['ID', 'TITLE', 'SCHEDULE', 'NEXT RUN', 'LAST', 'COMMAND'], table));
      });
    });
}
