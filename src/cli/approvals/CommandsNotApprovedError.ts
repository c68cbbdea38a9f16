import { PlanflowError } from '../../domain/errors.js';
import { escapeText, quoteText } from '../format/escapeText.js';
import type { LogCommand } from './logCommands.js';

/**
 * `planflow run` refused to start: the log holds commands this machine has not approved.
 * Raised before the scheduler opens, so nothing ran and nothing was appended. The message
 * lists every such command exactly (see `quoteText`) and the command that approves them; the
 * CLI exits with 3.
 */
export class CommandsNotApprovedError extends PlanflowError {
  override readonly name = 'CommandsNotApprovedError';
  /** The commands that are not approved, in task order. */
  readonly commands: readonly LogCommand[];

  /**
   * @param db `--db` as the approve command should repeat it, without a password
   *   (`dbArgument`); `passwordLeftOut` adds how to give it.
   */
  constructor(
    commands: readonly LogCommand[],
    db: Readonly<{ text: string; passwordLeftOut: boolean }>,
  ) {
    const width = Math.max(...commands.map((c) => escapeText(c.taskId).length));
    const lines = commands.map(
      (c) => `  ${escapeText(c.taskId).padEnd(width)}  ${quoteText(c.command)}`,
    );
    const ids = [...new Set(commands.map((c) => escapeText(c.taskId)))].join(' ');
    super(
      'planflow:commands-not-approved',
      `run: this log holds ${commands.length} command(s) this machine has not approved, so nothing was run:\n` +
        `${lines.join('\n')}\n` +
        'Anyone who could write the log file could have put them there. Read each one; to let them run from now on:\n' +
        `  planflow approve ${ids} --db ${quoteText(db.text)}\n` +
        (db.passwordLeftOut
          ? '  (the password is left out of this message: add it to --db again, or set PGPASSWORD)\n'
          : '') +
        'or to run them this once only: planflow run --allow-commands (see docs/security.md)',
    );
    this.commands = commands;
  }
}
