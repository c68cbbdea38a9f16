import { ValidationError } from '../../domain/errors.js';

/** Maps a domain field path (`retry.maxRetries`) to the flag that set it (`--retries`). */
export type FieldFlags = ReadonlyArray<readonly [prefix: string, flag: string]>;

/**
 * Runs a domain validation and, when it fails, prefixes its message with the command and the
 * flag that carried the bad value, so `Task "x": retry.maxRetries must be …` reads as
 * `task add --retries: Task "x": retry.maxRetries must be …`. The error stays a
 * `ValidationError` with the same code and field.
 */
export function withFlags<T>(command: string, flags: FieldFlags, validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const match = flags.find(
      ([prefix]) =>
        error.field === prefix ||
        error.field.startsWith(`${prefix}.`) ||
        error.field.startsWith(`${prefix}[`),
    );
    const where = match === undefined ? command : `${command} ${match[1]}`;
    const code = error.code as ConstructorParameters<typeof ValidationError>[0];
    throw new ValidationError(code, error.field, `${where}: ${error.message}`);
  }
}
