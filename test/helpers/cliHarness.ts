import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/runCli.js';
import type { StoredEvent } from '../../src/log/events.js';
import { sqliteStore } from '../../src/sqlite/index.js';

/** Shared set-up of the CLI tests: a temp project directory and an in-process `planflow`. */

export type CliResult = Readonly<{ code: number; out: string; err: string }>;

/** Registers clean-up and returns a function handing out fresh project directories. */
export function useProjectDirs(): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'planflow-cli-'));
    dirs.push(dir);
    return dir;
  };
}

/** Runs `planflow <args>` in-process with `dir` as the working directory. */
export async function planflow(
  dir: string,
  args: readonly string[],
  io: Partial<CliIo> = {},
): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    cwd: dir,
    // Approvals of this project only, never the approvals of whoever runs the tests.
    approvals: join(dir, 'approvals.json'),
    ...io,
  });
  return { code, out, err };
}

/** Every entry of the log file at `path`, read through a store that does not verify. */
export async function readLog(path: string): Promise<StoredEvent[]> {
  const store = await sqliteStore({ path, verifyOnOpen: false });
  try {
    const all: StoredEvent[] = [];
    for await (const batch of store.read()) all.push(...batch);
    return all;
  } finally {
    await store.close();
  }
}

/** The file's bytes (and its WAL's, if one was left behind), to prove nothing was written. */
export function fileState(path: string): string {
  const wal = `${path}-wal`;
  const main = readFileSync(path).toString('base64');
  return existsSync(wal) ? `${main}|${readFileSync(wal).toString('base64')}` : main;
}

/** A shell command running Node that exits with `code` (quoted for `--run`). */
export const nodeExit = (code: number): string => `node -e "process.exit(${code})"`;

/**
 * The raw characters in `text` that a terminal acts on or hides (C0 and C1 controls, DEL,
 * Unicode format controls such as bidi overrides, line/paragraph separators), except those in
 * `allow` — the line feed by default, which the CLI's own lines end with. Any other is a bug.
 */
export function rawControls(text: string, allow = '\n'): string[] {
  return [...text.matchAll(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu)]
    .map((m) => m[0])
    .filter((c) => !allow.includes(c));
}
