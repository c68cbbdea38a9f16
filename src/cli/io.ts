import type { Clock } from '../time/Clock.js';
import { systemClock } from '../time/systemClock.js';
import { defaultApprovalsPath } from './approvals/defaultApprovalsPath.js';

/**
 * Everything the CLI touches outside its arguments. `runCli` takes it as a parameter so the
 * whole CLI runs in-process in tests: output is collected from the writers, the clock can be
 * a test clock and an interrupt can be simulated without sending a real signal.
 */
export type CliIo = Readonly<{
  /** Receives normal output (tables, JSON, exports written to stdout). */
  stdout: (text: string) => void;
  /** Receives errors and warnings. */
  stderr: (text: string) => void;
  /** Use ANSI colours. @default false */
  colour?: boolean;
  /** Directory that relative paths (`--db`, `--out`) are resolved against. @default process.cwd() */
  cwd?: string;
  /** Time source for `now`, relative instants, `createdAt` and the scheduler. @default systemClock */
  clock?: Clock;
  /**
   * Subscribes to an interrupt (Ctrl-C, SIGTERM) for `run`; returns the unsubscribe function.
   * @default listens to the process's SIGINT and SIGTERM
   */
  onInterrupt?: (listener: (signal: string) => void) => () => void;
  /**
   * The file of this machine's command approvals (see docs/security.md); the global
   * `--approvals` flag overrides it.
   * @default `$PLANFLOW_APPROVALS`, else `approved-commands.json` in the user's config dir
   */
  approvals?: string;
  /**
   * The PEM file of the Ed25519 key commands that write sign the log's checkpoints with
   * (see docs/security.md); the global `--signing-key` flag overrides it.
   * @default `$PLANFLOW_SIGNING_KEY_FILE`, else no key (nothing is signed)
   */
  signingKeyFile?: string | undefined;
}>;

/** {@link CliIo} with every default filled in. */
export type ResolvedIo = Required<CliIo>;

/** Listens to SIGINT and SIGTERM once each, and removes both listeners when unsubscribed. */
export function processInterrupts(listener: (signal: string) => void): () => void {
  const onSignal = (signal: NodeJS.Signals) => listener(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** Fills the defaults of {@link CliIo}; the caller's object is not changed. */
export function resolveIo(io: CliIo): ResolvedIo {
  return Object.freeze({
    stdout: io.stdout,
    stderr: io.stderr,
    colour: io.colour ?? false,
    cwd: io.cwd ?? process.cwd(),
    clock: io.clock ?? systemClock,
    onInterrupt: io.onInterrupt ?? processInterrupts,
    approvals: io.approvals ?? defaultApprovalsPath(),
    signingKeyFile: io.signingKeyFile ?? (process.env.PLANFLOW_SIGNING_KEY_FILE || undefined),
  });
}

/**
 * Whether a terminal should get colours: only a TTY, and never when `NO_COLOR` is set
 * (any non-empty value, per the no-color.org convention).
 */
export function wantsColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}
