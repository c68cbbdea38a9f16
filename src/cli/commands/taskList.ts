import type { Command } from 'commander';
import type { Execution, Task } from '../../domain/types.js';
import { isWaiting, type ReadModel } from '../../log/ReadModel.js';
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

/** Summarises each task's runs from the read model. */
export function taskRows(model: ReadModel): TaskRow[] {
  return model.listTasks().map((task) => {
    const runs = model.listExecutions({ taskId: task.id });
    const pending = runs
      .filter(isWaiting)
      .sort((a, b) => a.scheduledFor.localeCompare(b.scheduledFor));
    const finished = runs
      .filter((e) => e.finishedAt !== undefined)
      .sort((a, b) => (a.finishedAt ?? '').localeCompare(b.finishedAt ?? ''));
    const row: { task: Task; next?: Execution; last?: Execution } = { task };
    if (pending[0] !== undefined) row.next = pending[0];
    const last = finished[finished.length - 1];
    if (last !== undefined) row.last = last;
    return row;
  });
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
      await withLog(ctx.dbPath(), (log) => {
        const rows = taskRows(log.model);
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
            next === undefined ? '-' : formatInstant(next.scheduledFor, zone),
            coloured,
            typeof t.payload?.run === 'string' ? escapeText(t.payload.run) : '-',
          ];
        });
        io.stdout(renderTable(['ID', 'TITLE', 'SCHEDULE', 'NEXT RUN', 'LAST', 'COMMAND'], table));
      });
    });
}
