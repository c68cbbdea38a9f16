import { resolve } from 'node:path';
import { Command } from 'commander';
import { registerApprove } from './commands/approve.js';
import { registerArchive } from './commands/archive.js';
import { registerBackfill } from './commands/backfill.js';
import { registerCalendar } from './commands/calendar.js';
import { registerExport } from './commands/export.js';
import { registerHead } from './commands/head.js';
import { registerHistory } from './commands/history.js';
import { registerInit } from './commands/init.js';
import { registerNext } from './commands/next.js';
import { registerRepair } from './commands/repair.js';
import { registerRun } from './commands/run.js';
import { registerTask } from './commands/task.js';
import { registerTrigger } from './commands/trigger.js';
import { registerVerify } from './commands/verify.js';
import type { CommandContext } from './context.js';
import { escapeMessage } from './format/escapeText.js';
import { createStyle } from './format/style.js';
import type { ResolvedIo } from './io.js';
import { resolveDbPath } from './openLog.js';
import { readKeyFile } from './readKeyFile.js';
import { packageVersion } from './version.js';

/** The log file used when `--db` is not given. */
export const DEFAULT_DB = './planflow.db';

/**
 * Builds a fresh commander program for one invocation. Output goes to the given writers and
 * commander never exits the process (`exitOverride`), so the program runs in-process.
 * `setExitCode` receives the code a command asks for without failing (e.g. `verify`).
 */
export function buildProgram(io: ResolvedIo, setExitCode: (code: number) => void): Command {
  const program = new Command();
  program
    .name('planflow')
    .description('Auditable scheduled tasks: every run is recorded in a hash-chained log.')
    .version(packageVersion(), '-V, --version')
    .option('--db <path>', 'the log file', DEFAULT_DB)
    .option('--approvals <path>', 'the file of approved commands (default: in your config dir)')
    .option(
      '--signing-key <file>',
      'Ed25519 PEM key that commands which write sign the log with (default: $PLANFLOW_SIGNING_KEY_FILE)',
    )
    .exitOverride()
    // Commander echoes arguments in its errors ("unknown option '…'"): escaped like the rest.
    .configureOutput({
      writeOut: (text) => io.stdout(escapeMessage(text)),
      writeErr: (text) => io.stderr(escapeMessage(text)),
    })
    .showHelpAfterError('(run with --help for usage)');
  const ctx: CommandContext = {
    io,
    style: createStyle(io.colour),
    dbPath: () => resolveDbPath(program.opts<{ db: string }>().db, io),
    approvalsPath: () => {
      const given = program.opts<{ approvals?: string }>().approvals;
      return given === undefined ? io.approvals : resolve(io.cwd, given);
    },
    signingKey: () => {
      const given = program.opts<{ signingKey?: string }>().signingKey ?? io.signingKeyFile;
      return given === undefined
        ? undefined
        : readKeyFile('--signing-key', resolve(io.cwd, given), 'signing');
    },
    setExitCode,
  };
  registerInit(program, ctx);
  registerTask(program, ctx);
  registerCalendar(program, ctx);
  registerRun(program, ctx);
  registerNext(program, ctx);
  registerTrigger(program, ctx);
  registerBackfill(program, ctx);
  registerApprove(program, ctx);
  registerHistory(program, ctx);
  registerVerify(program, ctx);
  registerHead(program, ctx);
  registerExport(program, ctx);
  registerRepair(program, ctx);
  registerArchive(program, ctx);
  return program;
}
