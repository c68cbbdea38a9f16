import type { KeyObject } from 'node:crypto';
import type { Style } from './format/style.js';
import type { ResolvedIo } from './io.js';

/** What every command gets from the program: output, style, the log path and its exit code. */
export type CommandContext = Readonly<{
  io: ResolvedIo;
  style: Style;
  /** The global `--db` path, resolved against the working directory. */
  dbPath: () => string;
  /** The approvals file: the global `--approvals` path, else `io.approvals`. */
  approvalsPath: () => string;
  /**
   * The key writing commands sign with: the global `--signing-key` file, else
   * `io.signingKeyFile`, read and checked on each call (exit 2 when it is not an Ed25519
   * private key); undefined when neither is given.
   */
  signingKey: () => KeyObject | undefined;
  /** Sets the exit code the CLI returns when the command finishes without throwing. */
  setExitCode: (code: number) => void;
}>;
