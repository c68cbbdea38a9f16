import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { inputError } from '../exitCodes.js';
import { quoteText } from '../format/escapeText.js';
import { OutputError } from '../OutputError.js';

/** One approval: this command text may run as this task of this log, on this machine. */
export type Approval = Readonly<{
  /** The log's absolute path, symlinks resolved (see `logIdentity`). */
  log: string;
  task: string;
  /** SHA-256 of the command's exact text (UTF-8), hex. */
  sha256: string;
  /** When it was approved, ISO-8601. */
  approvedAt: string;
}>;

const VERSION = 1;

/** SHA-256 (hex) of a command's exact text: what an approval is of. */
export function commandHash(command: string): string {
  return createHash('sha256').update(command, 'utf8').digest('hex');
}

const keyOf = (log: string, task: string, sha256: string) => JSON.stringify([log, task, sha256]);

function isApproval(value: unknown): value is Approval {
  if (typeof value !== 'object' || value === null) return false;
  const a = value as Record<string, unknown>;
  return (
    typeof a.log === 'string' &&
    typeof a.task === 'string' &&
    typeof a.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(a.sha256) &&
    typeof a.approvedAt === 'string'
  );
}

/**
 * The commands this machine's operator allowed `planflow run` to execute, kept in a JSON file
 * outside every log (see `defaultApprovalsPath`). An approval names the log, the task and the
 * SHA-256 of the exact command text, so it never approves another text, another task or
 * another log; the file holds hashes, not the commands.
 *
 * The file is replaced atomically (written beside it, flushed, renamed), readable by its
 * owner only. Two processes approving at the same instant can lose one of the two approvals;
 * the lost one is refused, and listed, by the next `run` — the safe way to fail.
 */
export class CommandApprovals {
  readonly path: string;
  readonly #approvals: Map<string, Approval>;

  private constructor(path: string, approvals: readonly Approval[]) {
    this.path = path;
    this.#approvals = new Map(approvals.map((a) => [keyOf(a.log, a.task, a.sha256), a]));
  }

  /**
   * Reads the approvals file; a missing file is no approvals.
   * @throws ValidationError (`planflow:invalid-input`, field `--approvals`) when the file
   * cannot be read or is not an approvals file; nothing is run or written then.
   */
  static async load(path: string): Promise<CommandApprovals> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new CommandApprovals(path, []);
      throw inputError(
        '--approvals',
        `the approvals file ${quoteText(path)} cannot be read: ${(error as Error).message}`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const record = parsed as { version?: unknown; approvals?: unknown } | undefined;
    if (
      record?.version !== VERSION ||
      !Array.isArray(record.approvals) ||
      !record.approvals.every(isApproval)
    ) {
      throw inputError(
        '--approvals',
        `${quoteText(path)} is not a PlanFlow approvals file (version ${VERSION}); move it away and approve the commands again with: planflow approve`,
      );
    }
    return new CommandApprovals(path, record.approvals);
  }

  /** True when exactly this command text was approved for this task of this log. */
  isApproved(log: string, task: string, command: string): boolean {
    return this.#approvals.has(keyOf(log, task, commandHash(command)));
  }

  /**
   * Approves a command text for a task of a log (in memory; {@link save} writes it).
   * @returns false when it was approved already.
   */
  approve(log: string, task: string, command: string, now: Date): boolean {
    const sha256 = commandHash(command);
    const key = keyOf(log, task, sha256);
    if (this.#approvals.has(key)) return false;
    this.#approvals.set(key, { log, task, sha256, approvedAt: now.toISOString() });
    return true;
  }

  /**
   * Writes the file atomically: a temporary file beside it is written, flushed to disk and
   * renamed over it, so a crash or a full disk leaves the previous file whole.
   * @throws OutputError naming the file when any step fails.
   */
  async save(): Promise<void> {
    const body = `${JSON.stringify({ version: VERSION, approvals: [...this.#approvals.values()] }, null, 2)}\n`;
    const temp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(body, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => {});
      throw new OutputError('approve', this.path, error, 'no approval was recorded');
    }
  }
}
