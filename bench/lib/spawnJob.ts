import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type ChildOutput, type Job, RESULT_PREFIX } from './job.js';

const CHILD = fileURLToPath(new URL('../child.ts', import.meta.url));

/** How one child ended: its output, or why there is none (crash, timeout, out of memory). */
export type SpawnOutcome =
  | Readonly<{ ok: true; output: ChildOutput; wallMs: number }>
  | Readonly<{ ok: false; error: string; wallMs: number; timedOut: boolean }>;

/** Options of {@link spawnJob}. */
export type SpawnOptions = Readonly<{
  /** Kill the child after this long; the case is then reported as not finished. */
  timeoutMs: number;
  /** Heap limit of the child, MB: equal for every subject, large enough for 1 M occurrences. */
  maxOldSpaceMb: number;
  /** Extra node flags, e.g. `--cpu-prof` (BENCH_NODE_FLAGS). */
  extraFlags: readonly string[];
}>;

/**
 * Runs one job in a fresh `node --expose-gc` process with tsx and reads its result line.
 * A child that dies is not an error of the harness: the outcome says what happened (an
 * out-of-memory crash is itself a result for a peer that cannot hold 100 000 jobs).
 */
export function spawnJob(job: Job, options: SpawnOptions): Promise<SpawnOutcome> {
  const started = performance.now();
  const args = [
    '--expose-gc',
    `--max-old-space-size=${options.maxOldSpaceMb}`,
    ...options.extraFlags,
    '--import',
    'tsx',
    CHILD,
    JSON.stringify(job),
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // Interrupting the harness must not leave a child measuring (and loading the machine).
    const stopChild = (signal: NodeJS.Signals) => {
      child.kill('SIGKILL');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', stopChild);
    process.once('SIGTERM', stopChild);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-20_000);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', stopChild);
      process.off('SIGTERM', stopChild);
      const wallMs = performance.now() - started;
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (line !== undefined && code === 0) {
        resolve({ ok: true, output: JSON.parse(line.slice(RESULT_PREFIX.length)), wallMs });
        return;
      }
      const reason = timedOut
        ? `did not finish within ${Math.round(options.timeoutMs / 1000)} s`
        : /heap out of memory/i.test(stderr)
          ? `out of memory (heap limit ${options.maxOldSpaceMb} MB)`
          : `exited with ${signal ?? code}: ${lastLines(stderr)}`;
      resolve({ ok: false, error: reason, wallMs, timedOut });
    });
  });
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ').slice(0, 400);
}
