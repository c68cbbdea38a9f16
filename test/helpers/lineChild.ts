import { type ChildProcess, spawn } from 'node:child_process';

/** A child process running a TypeScript fixture, and its end. */
export type LineChild = Readonly<{
  child: ChildProcess;
  /**
   * Every stdout line, once it was killed with SIGKILL (or exited 0, unless `mustBeKilled`);
   * rejects on any other end.
   */
  exit: Promise<string[]>;
}>;

/**
 * Runs `script` with tsx (or, a `.mjs` bundle, with plain node) in a child process and hands each line it prints to `onLine`, which
 * may kill it (the crash tests kill a writer at chosen moments). stderr is kept for the
 * error of an unexpected exit.
 */
export function spawnLineChild(
  script: string,
  args: readonly string[],
  onLine: (line: string, child: ChildProcess) => void,
  options: Readonly<{ mustBeKilled?: boolean }> = {},
): LineChild {
  // A bundled fixture (`bundledChild`) is plain JavaScript: it needs no loader.
  const loader = script.endsWith('.mjs') ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...loader, script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let buffered = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      onLine(line, child);
    }
  });
  const exit = new Promise<string[]>((resolve, reject) => {
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' || (code === 0 && options.mustBeKilled !== true)) resolve(lines);
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
  return { child, exit };
}
