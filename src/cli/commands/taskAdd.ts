import type { Command } from 'commander';
import { parseTask } from '../../domain/validateTask.js';
import { CommandApprovals } from '../approvals/CommandApprovals.js';
import { logIdentity } from '../approvals/logCommands.js';
import type { CommandContext } from '../context.js';
import { inputError } from '../exitCodes.js';
import { escapeText, quoteText } from '../format/escapeText.js';
import { moveText } from '../format/moveText.js';
import { formatInstant, shortId } from '../format/time.js';
import { openScheduler, withWritableStore } from '../openLog.js';
import { withFlags } from '../parse/flagErrors.js';
import { slugify, uniqueId } from '../parse/slug.js';
import { TASK_FIELD_FLAGS, type TaskAddFlags, taskInputFromFlags } from '../parse/taskFlags.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `planflow task add <title> …`: defines a task and plans its first occurrence. Everything
 * that can be checked without the log (flag syntax, the task's own fields) is checked before
 * the log is opened; slot names are checked against the recorded calendar before anything is
 * appended. A `--run` command is what the operator typed, so it is approved on this machine
 * (recorded before the task is appended: when the approval cannot be written, nothing is).
 */
export function registerTaskAdd(task: Command, ctx: CommandContext): void {
  task
    .command('add')
    .description('define a task and plan its first run')
    .argument('<title>', 'what the task is, e.g. "Back up the database"')
    .option('--id <id>', 'task id (default: made from the title, made unique)')
    .option(
      '--at <instant>',
      'first (or only) run: now, +15min, "tomorrow 09:00", or ISO-8601 with an offset',
    )
    .option('--allow-past', 'accept an --at or --pin in the past (it runs at once or is missed)')
    .option('--every <duration>', 'repeat at a fixed interval: 90s, 5min, 2h, "2 hours", 1d')
    .option('--cron <expression>', 'repeat on a cron schedule, e.g. "30 9 * * 1-5"')
    .option(
      '--rrule <rule>',
      'repeat on an RFC 5545 rule, e.g. "DTSTART;TZID=Europe/Berlin:20260105T090000 RRULE:FREQ=WEEKLY;BYDAY=MO"',
    )
    .option(
      '--tz <zone>',
      "time zone of --cron and of words in --at/--pin (default: the calendar's)",
    )
    .option('--pin <instant>', 'an exact time that bypasses the slots (still within working hours)')
    .option('--run <command>', 'shell command to run; a non-zero exit is a failure')
    .option('--timeout <duration>', 'per-attempt limit of --run (default 60s)')
    .option('--retries <n>', 'retries after a failure or a miss (default 0)')
    .option('--retry-delay <duration>', 'wait before a retry (default 1h)')
    .option('--backoff <kind>', 'fixed or exponential retry delays (default fixed)')
    .option('--slot <id>', 'preferred calendar slot; repeat or comma-separate for several', collect)
    .option('--priority <level>', 'low, medium or high (default medium)')
    .option('--description <text>', 'a longer description')
    .option(
      '--jitter <duration>',
      'delay each due time of the repeat by up to this much (at most 1h)',
    )
    .option('--ignore-calendar', 'run at exact times, outside working hours, slots and the cap')
    .option('--catch-up <policy>', 'slots missed while down, paused or asleep: skip, latest or all')
    .option('--catch-up-window <duration>', 'older missed slots are recorded, not run')
    .option('--catch-up-max <n>', 'with --catch-up all: at most this many catch-up runs')
    .option(
      '--overlap <policy>',
      'a slot due while the last run runs: skip, bufferOne, bufferAll, allowAll or cancelOther',
    )
    .action(async (title: string, flags: TaskAddFlags) => {
      const { io, style } = ctx;
      const nowMs = io.clock.now();
      // Everything but slot names, the final id and the past check (words such as
      // "tomorrow" need the calendar's zone), before the log is even opened.
      const draft = withFlags('task add', TASK_FIELD_FLAGS, () =>
        taskInputFromFlags(flags.id ?? slugify(title), title, flags, {
          nowMs,
          timeZone: flags.tz ?? 'UTC',
          ignorePast: true,
        }),
      );
      withFlags('task add', TASK_FIELD_FLAGS, () => parseTask(draft, undefined, new Date(nowMs)));
      const approvals =
        flags.run === undefined ? undefined : await CommandApprovals.load(ctx.approvalsPath());

      const added = await withWritableStore(ctx, async (store) => {
        const scheduler = await openScheduler(store, io, { nowMs });
        const exists = (id: string) => scheduler.getTask(id) !== undefined;
        if (flags.id !== undefined && exists(flags.id)) {
          throw inputError(
            '--id',
            `task add: a task ${quoteText(flags.id)} exists already; choose another --id, or remove it first with: planflow task rm ${escapeText(flags.id)}`,
          );
        }
        // A default id also skips ids of removed tasks, so their histories never mix.
        const used = async (id: string) =>
          exists(id) ||
          (await scheduler.listOccurrences({ taskId: id, limit: 1 })).items.length > 0;
        const id = flags.id ?? (await uniqueId(slugify(title), used));
        const task = withFlags('task add', TASK_FIELD_FLAGS, () => {
          const timeZone = flags.tz ?? scheduler.calendar.timeZone;
          const input = taskInputFromFlags(id, title, flags, { nowMs, timeZone });
          return parseTask(input, scheduler.calendar, new Date(nowMs));
        });
        const command = task.payload?.run;
        if (approvals !== undefined && typeof command === 'string') {
          approvals.approve(logIdentity(ctx.dbPath()), task.id, command, new Date(nowMs));
          await approvals.save();
        }
        // The task's newest record before and after: a new one is the first run planned.
        const newest = async () =>
          (await scheduler.listExecutions({ taskId: id, limit: 1, order: 'desc' })).items[0];
        const before = await newest();
        await scheduler.defineTask(task);
        const after = await newest();
        const first = after?.occurrenceId === before?.occurrenceId ? undefined : after;
        const moved =
          first === undefined
            ? undefined
            : (await scheduler.getOccurrence(first.occurrenceId))?.moved;
        return { task, first, moved, timeZone: scheduler.calendar.timeZone };
      });

      const { task, first, moved, timeZone } = added;
      io.stdout(
        `${style.green('Added')} task ${style.bold(escapeText(task.id))} ${quoteText(task.title)}\n`,
      );
      if (first === undefined) {
        io.stderr(
          `${style.yellow('warning:')} no new run could be planned for ${quoteText(task.id)}: the calendar leaves no room for it (see planflow calendar)\n`,
        );
      } else if (first.state === 'skipped') {
        io.stderr(
          `${style.yellow('warning:')} the first run of ${quoteText(task.id)} (${formatInstant(first.scheduledFor, timeZone)}) was skipped: the calendar rejects that time\n`,
        );
      } else {
        const why = moved === undefined ? '' : `, ${style.yellow(moveText(moved, timeZone))}`;
        io.stdout(
          `  first run ${formatInstant(first.scheduledFor, timeZone)} (${shortId(first.occurrenceId)})${why} — start the scheduler with: planflow run\n`,
        );
      }
    });
}
