import { ValidationError } from '../domain/errors.js';

/**
 * Exit codes. `2` is reserved for input the CLI refused before touching the log, so scripts
 * can tell "you called it wrong" from "the log or a command failed"; `3` is `run` refusing a
 * log whose commands this machine has not approved (see docs/security.md), so a script can
 * tell "needs an approval" from both; `4` is `run` refused because another running scheduler
 * holds the log (`planflow:log-held`), so a supervisor script can tell "already running".
 */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2, unapproved: 3, held: 4 });

/**
 * An argument or option the CLI refuses. Always raised before the log is opened for writing,
 * so a refused command leaves the log exactly as it was.
 * @param flag The option or argument at fault, e.g. `--every`.
 */
export function inputError(flag: string, message: string): ValidationError {
  return new ValidationError('planflow:invalid-input', flag, message);
}
