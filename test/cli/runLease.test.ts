import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exitCodes.js';
import { runCli } from '../../src/cli/runCli.js';
import { planflow, useProjectDirs } from '../helpers/cliHarness.js';

const newDir = useProjectDirs();
const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const ROOT = new URL('../..', import.meta.url).pathname;

/** A `planflow run` in this process that runs until `stop()`; resolves `started` once it runs. */
function runningPlanflow(dir: string) {
  let interrupt: ((signal: string) => void) | undefined;
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  let err = '';
  const done = runCli(['run'], {
    cwd: dir,
    approvals: join(dir, 'approvals.json'),
    stdout: (text) => {
      if (text.includes('scheduler.started')) markStarted();
    },
    stderr: (text) => {
      err += text;
    },
    onInterrupt: (listener) => {
      interrupt = listener;
      return () => {};
    },
  });
  return {
    started,
    stop: async () => {
      interrupt?.('SIGINT');
      return { code: await done, err };
    },
  };
}

/** `planflow <args> --db <dir>/planflow.db` as another OS process (tsx on the CLI's entry point). */
function planflowProcess(dir: string, args: readonly string[]) {
  return new Promise<{ code: number | null; err: string }>((resolve) => {
    const db = join(dir, 'planflow.db');
    // Run from the repository, where tsx resolves; the log is named by --db.
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args, '--db', db], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let err = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('exit', (code) => resolve({ code, err }));
  });
}

describe('planflow run while another run holds the log (issue 12, item 3)', () => {
  it('refuses a second run with exit 4 naming the holder, while task add, list, history and verify keep working', async () => {
    const dir = newDir();
    await planflow(dir, ['init', '--tz', 'UTC']);
    const first = runningPlanflow(dir);
    await first.started;

    const added = await planflow(dir, [
      'task',
      'add',
      'Later',
      '--at',
      'in 2 hours',
      '--run',
      'true',
    ]);
    expect(added.code).toBe(0);
    const list = await planflow(dir, ['task', 'list']);
    expect(list.code).toBe(0);
    expect(list.out).toContain('later');
    expect((await planflow(dir, ['history', 'later'])).code).toBe(0);
    expect((await planflow(dir, ['verify'])).code).toBe(0);

    const second = await planflow(dir, ['run', '--for', '1s']);
    expect(second.code).toBe(EXIT.held);
    expect(second.err).toContain('the log is held by another running scheduler');
    expect(second.err).toContain(`pid ${process.pid} on host "${hostname()}"`);
    expect(second.err).toContain('planflow/postgres');

    const end = await first.stop();
    expect(end.code).toBe(0);
    // Once the first run stopped, the next one starts.
    expect((await planflow(dir, ['run', '--for', '1s', '--until-idle'])).code).toBe(0);
  });

  it('refuses a planflow run in another OS process with exit 4 and the message', async () => {
    const dir = newDir();
    await planflow(dir, ['init', '--tz', 'UTC']);
    const first = runningPlanflow(dir);
    await first.started;
    const other = await planflowProcess(dir, ['run', '--for', '1s']);
    expect(other.code).toBe(EXIT.held);
    expect(other.err).toMatch(
      /planflow: SmartScheduler\.start: the log is held by another running scheduler: instance "[^"]+" \(pid \d+/,
    );
    expect(other.err).toContain(`pid ${process.pid}`);
    expect((await first.stop()).code).toBe(0);
  });
});
