import { realpathSync } from 'node:fs';
import type { Task } from '../../domain/types.js';
import { isPostgresUrl, parsePostgresUrl } from '../../postgres/postgresStoreOptions.js';
import { SHELL_HANDLER } from '../parse/taskFlags.js';

/** A shell command a log asks `planflow run` to execute, and the task it belongs to. */
export type LogCommand = Readonly<{ taskId: string; command: string }>;

/**
 * Every command `run` would execute for the log's current tasks: the `payload.run` of each
 * task with the shell handler, in task order. Removed tasks never run, so they are left out.
 */
export function logCommands(tasks: readonly Task[]): LogCommand[] {
  const commands: LogCommand[] = [];
  for (const task of tasks) {
    const command = task.payload?.run;
    if (task.handler === SHELL_HANDLER && typeof command === 'string') {
      commands.push({ taskId: task.id, command });
    }
  }
  return commands;
}

/**
 * The identity approvals are scoped to: the log file's absolute path with symlinks resolved;
 * for a PostgreSQL log, the server, database and schema (never the password). A log copied
 * or moved elsewhere (a log someone hands you) starts with no approvals.
 */
export function logIdentity(dbPath: string): string {
  if (isPostgresUrl(dbPath)) {
    const { server, schema } = parsePostgresUrl('planflow', dbPath);
    return `postgres://${server}?schema=${schema ?? 'planflow'}`;
  }
  return realpathSync(dbPath);
}
