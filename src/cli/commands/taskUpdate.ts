import type { Command } from 'commander';
import { areSameDefinition } from '../../domain/areSameDefinition.js';
import { NotFoundError } from '../../domain/errors.js';
import type { TaskChanges } from '../../domain/types.js';
import { applyTaskChanges } from '../../domain/validateTaskChanges.js';
import { CommandApprovals } from '../approvals/CommandApprovals.js';
import { logIdentity } from '../approvals/logCommands.js';
import type { CommandContext } from '../context.js';
import { escapeText, quoteText } from '../format/escapeText.js';
import { moveText } from '../format/moveText.js';
import { formatInstant, shortId } from '../format/time.js';
import { openScheduler, withWritableStore } from '../openLog.js';
import { withFlags } from '../parse/flagErrors.js';
import {
  TASK_FIELD_FLAGS,
  type TaskUpdateFlags,
  taskChangesFromFlags,
} from '../parse/taskFlags.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `planflow task update <id> [flags]`: changes the fields the flags name and keeps the rest
 * (`updateTask`); the task's waiting run is cancelled and the first run of the new definition
 * planned, unless the change does not move it. A new `--run` command is approved on this
 * machine as `task add` approves one.
 */
export function registerTaskUpdate(task: Command, ctx: CommandContext): void {
  task
    .command('update')
    .description('change a task: only the fields given change')
    .argument('<id>', 'the task id (see planflow task list)')
    .option('--title <text>', 'a new title')
    .option('--description <text>', 'a new description (none removes it)')
    .option('--at <instant>', 'a new first (or only) run (none removes it)')
    .option('--allow-past', 'accept an --at or --pin in the past')
    .option('--every <duration>', 'repeat at a fixed interval instead (none: no repeat)')
    .option('--cron <expression>', 'repeat on a cron schedule instead; keeps its zone unless --tz')
    .option('--rrule <rule>', 'repeat on an RFC 5545 rule instead')
    .option('--tz <zone>', 'time zone of --cron and of words in --at/--pin')
    .option('--pin <instant>', 'a new pinned time (none removes it)')
    .option('--run <command>', 'a new shell command (approved on this machine)')
    .option('--timeout <duration>', 'a new per-attempt limit of the command')
    .option('--retries <n>', 'retries after a failure or a miss')
    .option('--retry-delay <duration>', 'wait before a retry')
    .option('--backoff <kind>', 'fixed or exponential retry delays')
    .option('--slot <id>', 'preferred slots, replacing the old ones (none: no preference)', collect)
    .option('--priority <level>', 'low, medium or high')
    .option('--jitter <duration>', 'delay each due time by up to this much (0 removes it)')
    .option('--ignore-calendar', 'run at exact times, outside the calendar rules')
    .option('--catch-up <policy>', 'slots missed while down, paused or asleep: skip, latest or all')
    .option('--catch-up-window <duration>', 'older missed slots are recorded, not run')
    .option('--catch-up-max <n>', 'with --catch-up all: at most this many catch-up runs')
    .option(
      '--overlap <policy>',
      'a slot due while the last run runs: skip, bufferOne, bufferAll, allowAll or cancelOther',
    )
    .option('--apply-calendar', 'put the task back under the calendar rules')
    .action(async (id: string, flags: TaskUpdateFlags) => {
      const { io, style } = ctx;
      const nowMs = io.clock.now();
      // Syntax first, before the log is opened; words in --at need the calendar's zone.
      withFlags('task update', TASK_FIELD_FLAGS, () =>
        taskChangesFromFlags(flags, { nowMs, timeZone: flags.tz ?? 'UTC', ignorePast: true }),
      );
      const approvals =
        flags.run === undefined ? undefined : await CommandApprovals.load(ctx.approvalsPath());
      const done = await withWritableStore(ctx, async (store) => {
        const scheduler = await openScheduler(store, io, { nowMs });
        const before = scheduler.getTask(id);
        if (before === undefined) {
          throw new NotFoundError(`task update: no task ${quoteText(id)}; see planflow task list`);
        }
        const timeZone = flags.tz ?? scheduler.calendar.timeZone;
        const changes = withFlags('task update', TASK_FIELD_FLAGS, () => {
          const given = taskChangesFromFlags(flags, { nowMs, timeZone }) as TaskChanges;
          // Checked whole before anything is recorded, with the messages updateTask gives.
          applyTaskChanges(before, given, scheduler.calendar);
          return given;
        });
        if (approvals !== undefined && flags.run !== undefined) {
          approvals.approve(logIdentity(ctx.dbPath()), id, flags.run, new Date(nowMs));
          await approvals.save();
        }
        const after = await scheduler.updateTask(id, changes);
        const pending = (await scheduler.listOccurrences({ taskId: id, state: 'scheduled' })).items;
        const next = [...pending].sort((a, b) => a.scheduledFor.localeCompare(b.scheduledFor))[0];
        return {
          changed: !areSameDefinition(before, after),
          next,
          timeZone: scheduler.calendar.timeZone,
        };
      });
      const name = style.bold(escapeText(id));
      if (!done.changed) {
        io.stdout(`Task ${name} already has that definition; nothing recorded\n`);
        return;
      }
      io.stdout(`${style.green('Updated')} task ${name}\n`);
      const { next, timeZone } = done;
      if (next === undefined) {
        io.stdout('  no run is pending (see planflow next and planflow calendar)\n');
        return;
      }
      const why =
        next.moved === undefined ? '' : `, ${style.yellow(moveText(next.moved, timeZone))}`;
      io.stdout(
        `  next run ${formatInstant(next.scheduledFor, timeZone)} (${shortId(next.id)})${why}\n`,
      );
    });
}
