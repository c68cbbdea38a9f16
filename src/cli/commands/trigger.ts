import type { Command } from 'commander';
import { NotFoundError } from '../../domain/errors.js';
import type { TriggerTarget } from '../../domain/types.js';
import type { StoredEvent } from '../../log/events.js';
import { readAllPages } from '../../log/readAllPages.js';
import type { SmartScheduler } from '../../scheduler/SmartScheduler.js';
import { CommandApprovals } from '../approvals/CommandApprovals.js';
import { CommandsNotApprovedError } from '../approvals/CommandsNotApprovedError.js';
import { logIdentity } from '../approvals/logCommands.js';
import type { CommandContext } from '../context.js';
import { inputError } from '../exitCodes.js';
import { escapeText, quoteText, toSafeJson } from '../format/escapeText.js';
import { eventLine } from '../format/eventLine.js';
import { OccurrenceTasks } from '../format/OccurrenceTasks.js';
import { dbArgument, openScheduler, withWritableStore } from '../openLog.js';
import { SHELL_HANDLER } from '../parse/taskFlags.js';
import { shellHandler } from '../shellHandler.js';

type TriggerFlags = Readonly<{ output?: boolean; json?: boolean; allowCommands?: boolean }>;

/** How long `stop()` lets the command finish once its outcome is in (it already is). */
const STOP_TIMEOUT_MS = 5000;

/**
 * What `target` names: a task (a new manual run), or a pending occurrence by its id or a
 * unique start of it (as tables print them).
 */
async function targetOf(scheduler: SmartScheduler, target: string): Promise<TriggerTarget> {
  if (scheduler.getTask(target) !== undefined) return { taskId: target };
  if ((await scheduler.getOccurrence(target)) !== undefined) return { occurrenceId: target };
  const pending = await readAllPages((cursor) =>
    scheduler.listOccurrences({ state: 'scheduled', cursor }),
  );
  const matches = pending.filter((o) => o.id.startsWith(target));
  if (matches.length === 1) return { occurrenceId: matches[0]!.id };
  if (matches.length === 0) {
    throw new NotFoundError(
      `trigger: no task or pending occurrence ${quoteText(target)}; see planflow task list and planflow next <task>`,
    );
  }
  throw inputError(
    '<target>',
    `trigger: ${quoteText(target)} is the start of ${matches.length} pending occurrence ids; give more characters`,
  );
}

/**
 * `planflow trigger <task|occurrence>`: runs a task now, by hand (a new manual occurrence),
 * or a pending occurrence ahead of its time — `triggerNow`, which also works for a paused
 * task. Waits for the run's outcome and prints what was recorded; exits 1 when the run
 * failed. A shell command runs only when approved on this machine (exit 3 otherwise), or
 * with `--allow-commands`.
 */
export function registerTrigger(program: Command, ctx: CommandContext): void {
  program
    .command('trigger')
    .description('run a task (or a pending occurrence) now, by hand, and wait for its outcome')
    .argument('<target>', 'a task id, or a pending occurrence id (or its start)')
    .option('--output', "echo the command's own output")
    .option('--json', 'print each event as a JSON line instead of a text line')
    .option('--allow-commands', "run the task's command this once even if not approved")
    .action(async (target: string, flags: TriggerFlags) => {
      const { io, style } = ctx;
      await withWritableStore(ctx, async (store) => {
        const live = await store.loadLive();
        const approvals =
          flags.allowCommands === true
            ? undefined
            : await CommandApprovals.load(ctx.approvalsPath());
        const log = logIdentity(ctx.dbPath());
        const allow = (taskId: string, command: string) =>
          approvals === undefined || approvals.isApproved(log, taskId, command);
        const shell = shellHandler({
          cwd: io.cwd,
          allow,
          ...(flags.output === true ? { onOutput: (_occ, chunk) => io.stdout(chunk) } : {}),
        });
        // Never started: nothing but this run happens; what it plans next is recorded for
        // `planflow run` to arm.
        const scheduler = await openScheduler(store, io, {
          handlers: { [SHELL_HANDLER]: shell.handler },
          stopTimeoutMs: STOP_TIMEOUT_MS,
        });
        try {
          const about = await targetOf(scheduler, target);
          const taskId =
            'taskId' in about
              ? about.taskId
              : (await scheduler.getOccurrence(about.occurrenceId))?.taskId;
          const task = live.tasks.find((t) => t.id === taskId);
          const command = task?.payload?.run;
          if (task?.handler === SHELL_HANDLER && typeof command === 'string') {
            if (!allow(task.id, command)) {
              throw new CommandsNotApprovedError(
                [{ taskId: task.id, command }],
                dbArgument(ctx.dbPath()),
              );
            }
          }
          const zone = scheduler.calendar.timeZone;
          const occurrenceTasks = new OccurrenceTasks();
          const lookup = {
            getTask: (id: string) => scheduler.getTask(id),
            taskOfOccurrence: (id: string) => occurrenceTasks.taskOf(id),
          };
          let occurrenceId: string | undefined;
          let settle: (event: StoredEvent) => void = () => {};
          const outcome = new Promise<StoredEvent>((resolve) => {
            settle = resolve;
          });
          scheduler.events.subscribe((event) => {
            occurrenceTasks.learn(event);
            io.stdout(
              flags.json === true
                ? `${toSafeJson(event)}\n`
                : `${eventLine(event, lookup, style, zone)}\n`,
            );
            const isOutcome =
              event.type === 'occurrence.completed' || event.type === 'occurrence.failed';
            if (isOutcome && event.data.occurrenceId === occurrenceId) settle(event);
          });
          if ('occurrenceId' in about) occurrenceTasks.remember(about.occurrenceId, taskId ?? '');
          occurrenceId = await scheduler.triggerNow(about);
          // The outcome may already have been recorded while triggerNow resolved.
          const recorded = await scheduler.getExecution(occurrenceId);
          const ended =
            recorded?.outcome !== undefined
              ? recorded.outcome
              : (await outcome).type === 'occurrence.completed'
                ? 'completed'
                : 'failed';
          if (ended === 'failed') ctx.setExitCode(1);
          if (flags.json !== true) {
            io.stderr(
              `${ended === 'completed' ? style.green('Ran') : style.red('Failed:')} ${escapeText(
                taskId ?? '',
              )} (${escapeText(occurrenceId.slice(0, 10))}) by hand\n`,
            );
          }
        } finally {
          await scheduler.stop();
          await shell.drained();
        }
      });
    });
}
