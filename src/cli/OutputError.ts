import { PlanflowError } from '../domain/errors.js';
import { quoteText } from './format/escapeText.js';

/**
 * A file the CLI writes (an export, the approvals file) could not be written completely: a
 * full disk, an I/O error, a failed `fsync` or `close`. The CLI exits with 1 and names the
 * file, never "Exported N entries".
 */
export class OutputError extends PlanflowError {
  override readonly name = 'OutputError';
  /** The file that could not be written. */
  readonly path: string;

  /**
   * @param what What was being written, e.g. `export`, for the message.
   * @param cause The I/O error; its code and message end the message.
   */
  constructor(what: string, path: string, cause: unknown, consequence: string) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      'planflow:output-failed',
      `${what}: writing ${quoteText(path)} failed: ${reason}; ${consequence}`,
      {
        cause,
      },
    );
    this.path = path;
  }
}
