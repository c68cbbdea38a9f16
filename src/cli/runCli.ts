import { CommanderError } from 'commander';
import {
  CorruptLogError,
  isPlanflowError,
  LogHeldError,
  NotFoundError,
  ValidationError,
} from '../domain/errors.js';
import { CommandsNotApprovedError } from './approvals/CommandsNotApprovedError.js';
import { EXIT } from './exitCodes.js';
import { escapeMessage } from './format/escapeText.js';
import { createStyle } from './format/style.js';
import { type CliIo, resolveIo } from './io.js';
import { buildProgram } from './program.js';

/**
 * The exit code for an error a command threw: 2 for input the CLI refused (a bad flag, an
 * unknown task, a missing log) — always before anything was appended —, 3 for a `run` refused
 * because the log's commands are not approved, 4 for a `run` refused because another running
 * scheduler holds the log, and 1 for everything else (a corrupt log, a
 * failing store, a file that could not be written).
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommandsNotApprovedError) return EXIT.unapproved;
  if (error instanceof LogHeldError) return EXIT.held;
  if (error instanceof ValidationError || error instanceof NotFoundError) return EXIT.usage;
  return EXIT.failure;
}

function messageOf(error: unknown): string {
  if (error instanceof CorruptLogError) {
    return `${error.message}\n(planflow verify shows the first bad entry; planflow repair keeps the valid ones)`;
  }
  if (isPlanflowError(error) || error instanceof Error) return error.message;
  return String(error);
}

/**
 * Runs the `planflow` CLI in-process and resolves with its exit code; it never calls
 * `process.exit`. `argv` holds the user's arguments only (`process.argv.slice(2)`).
 * @example
 * const code = await runCli(['task', 'list', '--db', 'app.db'], {
 *   stdout: (s) => process.stdout.write(s),
 *   stderr: (s) => process.stderr.write(s),
 * });
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const resolved = resolveIo(io);
  let code: number = EXIT.ok;
  const program = buildProgram(resolved, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message already; help and --version end with 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const style = createStyle(resolved.colour);
    // A message can carry stored text or arguments: escaped, keeping its own line breaks.
    resolved.stderr(`${style.red('planflow:')} ${escapeMessage(messageOf(error))}\n`);
    if (process.env.PLANFLOW_DEBUG && error instanceof Error && error.stack !== undefined) {
      resolved.stderr(`${escapeMessage(error.stack)}\n`);
    }
    return exitCodeFor(error);
  }
}
