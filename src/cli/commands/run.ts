import type { Command } from 'commander';
import type { EventStore } from '../../log/EventStore.js';
import { isWaiting } from '../../log/LiveModel.js';
import { readAllPages } from '../../log/readAllPages.js';
import type { SmartScheduler } from '../../scheduler/SmartScheduler.js';
import { CommandApprovals } from '../approvals/CommandApprovals.js';
import { CommandsNotApprovedError } from '../approvals/CommandsNotApprovedError.js';
import { logCommands, logIdentity } from '../approvals/logCommands.js';
import type { CommandContext } from '../context.js';
import { escapeText, toSafeJson } from '../format/escapeText.js';
import { eventLine } from '../format/eventLine.js';
import { OccurrenceTasks } from '../format/OccurrenceTasks.js';
import { dbArgument, dbLabel, openScheduler, withWritableStore } from '../openLog.js';
import { parseDuration } from '../parse/duration.js';
import { withFlags } from '../parse/flagErrors.js';
import { SHELL_HANDLER } from '../parse/taskFlags.js';
import { RunSummary } from '../runSummary.js';
import { shellHandler } from '../shellHandler.js';

/** How long `stop()` lets running commands finish before their signal aborts them. */
const STOP_TIMEOUT_MS = 5000;

type RunFlags = {
  for?: string;
  untilIdle?: boolean;
  json?: boolean;
  output?: boolean;
  allowCommands?: boolean;
};

/** Decides which commands may run: all of them (`--allow-commands`), or the approved ones. */
async function commandPolicy(
  ctx: CommandContext,
  store: EventStore,
  allowAll: boolean,
): Promise<(taskId: string, command: string) => boolean> {
  if (allowAll) return () => true;
  // Read apart from the scheduler, which may append as it opens (a missing calendar).
  const commands = logCommands((await store.loadLive()).tasks);
  if (commands.length === 0) return () => false;
  const approvals = await CommandApprovals.load(ctx.approvalsPath());
  const log = logIdentity(ctx.dbPath());
  const allowed = (taskId: string, command: string) => approvals.isApproved(log, taskId, command);
  const refused = commands.filter((c) => !allowed(c.taskId, c.command));
  if (refused.length > 0) throw new CommandsNotApprovedError(refused, dbArgument(ctx.dbPath()));
  return allowed;
}

/** The live occurrences' records: waiting to trigger, or running. */
function liveExecutions(scheduler: SmartScheduler) {
  return readAllPages((cursor) =>
    scheduler.listExecutions({ state: ['scheduled', 'triggered'], cursor }),
  );
}

/** Nothing running, and nothing pending that is due before `deadlineMs`. */
async function isIdle(scheduler: SmartScheduler, deadlineMs: number): Promise<boolean> {
  return (await liveExecutions(scheduler)).every(
    (e) => isWaiting(e) && Date.parse(e.scheduledFor) > deadlineMs,
  );
}

/**
 * `planflow run`: the scheduler in the foreground. Registers the `shell` handler, prints one
 * line per appended event, and stops gracefully (running commands get a few seconds, then
 * SIGTERM) on Ctrl-C, SIGTERM, the end of `--for`, or — with `--until-idle` — as soon as
 * nothing is running and nothing more is due within `--for`. A second Ctrl-C kills the
 * running commands at once.
 *
 * Before anything starts, every command of the log's tasks must be approved on this machine
 * (`planflow approve`, or typed by the operator with `task add --run`); otherwise `run`
 * refuses with the list of commands, runs nothing and appends nothing. `--allow-commands`
 * runs them all this once.
 */
export function registerRun(program: Command, ctx: CommandContext): void {
  program
    .command('run')
    .description('run the scheduler in the foreground until Ctrl-C')
    .option('--for <duration>', 'stop after this long, e.g. 30s, 2h')
    .option('--until-idle', 'stop once nothing is running and nothing more is due (within --for)')
    .option('--output', "echo the commands' own output")
    .option('--json', 'print each event as a JSON line instead of a text line')
    .option('--allow-commands', "run the log's commands this once even if not approved")
    .action(async (flags: RunFlags) => {
      const forMs =
        flags.for === undefined
          ? undefined
          : withFlags('run', [], () => parseDuration(flags.for ?? '', '--for'));
      const { io, style } = ctx;
      await withWritableStore(ctx, async (store) => {
        const allow = await commandPolicy(ctx, store, flags.allowCommands === true);
        const shell = shellHandler({
          cwd: io.cwd,
          allow,
          ...(flags.output === true ? { onOutput: (_occ, chunk) => io.stdout(chunk) } : {}),
        });
        const scheduler = await openScheduler(store, io, {
          handlers: { [SHELL_HANDLER]: shell.handler },
          stopTimeoutMs: STOP_TIMEOUT_MS,
        });
        const zone = scheduler.calendar.timeZone;
        const startedAt = io.clock.now();
        const deadlineMs = forMs === undefined ? Number.POSITIVE_INFINITY : startedAt + forMs;
        const summary = new RunSummary();
        const occurrenceTasks = new OccurrenceTasks();
        for (const e of await liveExecutions(scheduler)) {
          occurrenceTasks.remember(e.occurrenceId, e.taskId);
        }
        const lookup = {
          getTask: (id: string) => scheduler.getTask(id),
          taskOfOccurrence: (id: string) => occurrenceTasks.taskOf(id),
        };

        let finish: (why: string) => void = () => {};
        const finished = new Promise<string>((resolve) => {
          finish = resolve;
        });
        let idleCheck: NodeJS.Immediate | undefined;
        const checkIdleSoon = () => {
          if (flags.untilIdle !== true || idleCheck !== undefined) return;
          // After the current batch of events is folded and its follow-ups are planned.
          idleCheck = setImmediate(() => {
            idleCheck = undefined;
            if (scheduler.status !== 'running') return;
            isIdle(scheduler, deadlineMs).then(
              (idle) => {
                if (idle && scheduler.status === 'running') finish('idle');
              },
              () => {},
            );
          });
        };

        scheduler.events.subscribe((event) => {
          occurrenceTasks.learn(event);
          summary.add(event);
          io.stdout(
            flags.json === true
              ? `${toSafeJson(event)}\n`
              : `${eventLine(event, lookup, style, zone)}\n`,
          );
          checkIdleSoon();
        });
        scheduler.errors.subscribe((error) => {
          io.stderr(
            `${style.red('error:')} ${escapeText(error instanceof Error ? error.message : String(error))}\n`,
          );
        });
        let interrupts = 0;
        const unsubscribe = io.onInterrupt((signal) => {
          interrupts++;
          if (interrupts === 1) {
            io.stderr(
              `${signal}: stopping; running commands get ${STOP_TIMEOUT_MS / 1000}s (again to kill them now)\n`,
            );
            finish(signal);
          } else {
            io.stderr(`${signal}: killing running commands\n`);
            shell.killAll();
          }
        });
        const timer =
          forMs === undefined ? undefined : io.clock.setTimeout(() => finish('time'), forMs);
        try {
          if (flags.json !== true) {
            io.stderr(
              `planflow run: ${scheduler.listTasks().length} task(s) in ${escapeText(dbLabel(ctx.dbPath()))}, calendar zone ${escapeText(zone)}; Ctrl-C stops\n`,
            );
          }
          await scheduler.start();
          checkIdleSoon();
          await finished;
        } finally {
          unsubscribe();
          if (timer !== undefined) io.clock.clearTimeout(timer);
          if (idleCheck !== undefined) clearImmediate(idleCheck);
          await scheduler.stop();
          await shell.drained();
        }
        const pending = (await liveExecutions(scheduler)).filter(isWaiting).length;
        if (flags.json !== true) io.stderr(summary.text(io.clock.now() - startedAt, pending));
      });
    });
}
