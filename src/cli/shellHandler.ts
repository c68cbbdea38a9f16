import { type ChildProcess, spawn } from 'node:child_process';
import type { Occurrence } from '../domain/types.js';
import type { Handler, HandlerContext } from '../scheduler/handlers.js';

/** How long a command gets after SIGTERM before it is killed outright. */
const KILL_GRACE_MS = 2000;

/** Bytes of a command's stderr kept for the failure message. */
const TAIL_BYTES = 2000;

export type ShellHandlerOptions = Readonly<{
  /** Directory the commands run in. */
  cwd: string;
  /**
   * Whether this exact command may run as this task (the operator's approvals, see
   * docs/security.md). Asked again right before each start, so a command that reaches the
   * handler unapproved fails instead of running. Required: there is no default that runs
   * whatever a log says.
   */
  allow: (taskId: string, command: string) => boolean;
  /** Receives every chunk a command writes (stdout and stderr), e.g. to echo it. */
  onOutput?: (occurrence: Occurrence, chunk: string) => void;
}>;

function lastLine(text: string): string {
  const lines = text.trim().split(/\r?\n/);
  const line = lines[lines.length - 1] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/**
 * The handler of CLI tasks: runs `task.payload.run` through the shell, when `allow` says so
 * (otherwise the run fails with a message saying how to approve it). Exit code 0 is
 * success; any other exit, a signal, or a failure to start is thrown, so the scheduler
 * records `occurrence.failed` and retries per the task's policy. When the handler's signal
 * aborts (the task's timeout, or the scheduler stopping) the command gets SIGTERM, then
 * SIGKILL if it is still alive two seconds later.
 *
 * The command sees `PLANFLOW_TASK_ID`, `PLANFLOW_OCCURRENCE_ID`, `PLANFLOW_ATTEMPT` and
 * `PLANFLOW_IDEMPOTENCY_KEY` in its environment; the key is the same for a run and its
 * retries, so a script can skip work it already completed.
 */
export function shellHandler(options: ShellHandlerOptions): ShellHandler {
  const running = new Set<Promise<unknown>>();
  const children = new Set<ChildProcess>();
  const handler: Handler = (occurrence: Occurrence, context: HandlerContext) => {
    const command = context.task.payload?.run;
    if (typeof command !== 'string' || command.trim() === '') {
      throw new Error(
        `task "${context.task.id}" has no command in payload.run; add it again with --run "<command>"`,
      );
    }
    if (!options.allow(context.task.id, command)) {
      throw new Error(
        `the command of task "${context.task.id}" is not approved on this machine; check it and run: planflow approve ${context.task.id}`,
      );
    }
    const run = runCommand(command, occurrence, context, options, children);
    const settled = run.catch(() => {});
    running.add(settled);
    void settled.then(() => running.delete(settled));
    return run;
  };
  return {
    handler,
    drained: async () => {
      while (running.size > 0) await Promise.all([...running]);
    },
    killAll: () => {
      for (const child of children) signalTree(child, 'SIGKILL');
    },
  };
}

/** The shell handler plus a way to wait until every command it started has exited. */
export type ShellHandler = Readonly<{
  handler: Handler;
  /**
   * Resolves once every command has exited. The scheduler stops waiting for a command the
   * moment its signal aborts; `run` waits here too, so no command outlives it.
   */
  drained: () => Promise<void>;
  /** Kills every running command outright (a second Ctrl-C: stop now, not gracefully). */
  killAll: () => void;
}>;

/**
 * Signals the command's whole process group on POSIX: `sh -c` does not always exec its
 * command, and a grandchild left running would keep the pipes open and outlive the run.
 */
function signalTree(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (process.platform !== 'win32' && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // Already gone.
  }
}

function runCommand(
  command: string,
  occurrence: Occurrence,
  context: HandlerContext,
  options: ShellHandlerOptions,
  children: Set<ChildProcess>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (context.signal.aborted) {
      reject(new Error('the run was aborted before the command started'));
      return;
    }
    const child = spawn(command, {
      shell: true,
      // Its own process group, so a timeout reaches what the shell started, not just the shell.
      detached: process.platform !== 'win32',
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PLANFLOW_TASK_ID: context.task.id,
        PLANFLOW_OCCURRENCE_ID: occurrence.id,
        PLANFLOW_ATTEMPT: String(context.attempt),
        PLANFLOW_IDEMPOTENCY_KEY: context.idempotencyKey,
      },
    });
    children.add(child);
    let stderrTail = '';
    const onChunk = (chunk: Buffer, isErr: boolean) => {
      const text = chunk.toString('utf8');
      if (isErr) stderrTail = (stderrTail + text).slice(-TAIL_BYTES);
      options.onOutput?.(occurrence, text);
    };
    child.stdout.on('data', (chunk: Buffer) => onChunk(chunk, false));
    child.stderr.on('data', (chunk: Buffer) => onChunk(chunk, true));

    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      signalTree(child, 'SIGTERM');
      killTimer = setTimeout(() => signalTree(child, 'SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    context.signal.addEventListener('abort', onAbort, { once: true });

    child.once('error', (error) => {
      children.delete(child);
      context.signal.removeEventListener('abort', onAbort);
      reject(new Error(`command could not be started: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      children.delete(child);
      context.signal.removeEventListener('abort', onAbort);
      if (killTimer !== undefined) clearTimeout(killTimer);
      if (code === 0) {
        resolve();
        return;
      }
      const how = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
      const detail = lastLine(stderrTail);
      reject(new Error(`command ${how}${detail === '' ? '' : `: ${detail}`}`));
    });
  });
}
