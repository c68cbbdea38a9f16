import { type FileHandle, open } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { StoredEvent } from '../../log/events.js';
import type { CommandContext } from '../context.js';
import { inputError } from '../exitCodes.js';
import { escapeText, quoteText } from '../format/escapeText.js';
import { csvHeader, toCsvRow, toJsonLine } from '../format/exportFormats.js';
import { OutputError } from '../OutputError.js';
import { withStore } from '../openLog.js';

type ExportFlags = { format: string; out?: string; verify: boolean };

/** Where an export goes: written in order, then finished; either may reject. */
type Sink = Readonly<{
  write: (text: string) => Promise<void>;
  finish: () => Promise<void>;
  /** Releases the file after a failure elsewhere (reading the log). */
  abort: () => Promise<void>;
}>;

/** `fsync` codes that mean "this kind of file has nothing to flush" (a pipe, a device). */
const NO_SYNC = new Set(['EINVAL', 'ENOTSUP', 'EROFS']);

/**
 * Opens `--out`. A path that cannot be opened (a missing directory, a path under a regular
 * file, no permission) is refused as input, before anything is written.
 */
async function openFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'w');
  } catch (error) {
    throw inputError(
      '--out',
      `export: cannot write to ${quoteText(path)}: ${(error as Error).message}; give --out a path in an existing, writable directory`,
    );
  }
}

/**
 * A file sink that only succeeds when the data reached the disk: every write is awaited, then
 * the file is flushed (`fsync`) and closed, and any failure — a full disk, an I/O error — is
 * an {@link OutputError} naming the file. A stream that reported "finished" before the disk
 * said no is how a full disk used to end in "Exported N entries".
 */
function fileSink(path: string, handle: FileHandle): Sink {
  let closed = false;
  const abort = async () => {
    if (closed) return;
    closed = true;
    await handle.close().catch(() => {});
  };
  const fail = async (error: unknown): Promise<never> => {
    await abort();
    throw new OutputError('export', path, error, 'the file is incomplete');
  };
  return {
    abort,
    write: async (text) => {
      try {
        await handle.writeFile(text, 'utf8');
      } catch (error) {
        await fail(error);
      }
    },
    finish: async () => {
      try {
        await handle.sync().catch((error: NodeJS.ErrnoException) => {
          if (!NO_SYNC.has(error.code ?? '')) throw error;
        });
        closed = true;
        await handle.close();
      } catch (error) {
        await fail(error);
      }
    },
  };
}

/**
 * `planflow export [--format jsonl|csv] [--out file]`: every log entry with all its fields
 * (hashes included), in log order. JSONL keeps the payload as an object; CSV puts it in a
 * `data` column as JSON text. "Exported N entries" is printed only once the file is on disk.
 */
export function registerExport(program: Command, ctx: CommandContext): void {
  program
    .command('export')
    .description('write every log entry as JSON lines or CSV')
    .option('--format <format>', 'jsonl or csv', 'jsonl')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--no-verify', 'export even when the log fails verification')
    .action(async (flags: ExportFlags) => {
      const format = flags.format.toLowerCase();
      if (format !== 'jsonl' && format !== 'csv') {
        throw inputError(
          '--format',
          `export: --format must be jsonl or csv, got ${JSON.stringify(flags.format)}`,
        );
      }
      const { io } = ctx;
      const line: (event: StoredEvent) => string = format === 'csv' ? toCsvRow : toJsonLine;
      const outPath = flags.out === undefined ? undefined : resolve(io.cwd, flags.out);
      const count = await withStore(
        ctx.dbPath(),
        async (store) => {
          const out: Sink =
            outPath === undefined
              ? {
                  write: async (text) => io.stdout(text),
                  finish: async () => {},
                  abort: async () => {},
                }
              : fileSink(outPath, await openFile(outPath));
          let n = 0;
          try {
            if (format === 'csv') await out.write(csvHeader());
            for await (const batch of store.read()) {
              await out.write(batch.map(line).join(''));
              n += batch.length;
            }
            await out.finish();
          } catch (error) {
            await out.abort();
            throw error;
          }
          return n;
        },
        { verifyOnOpen: flags.verify, readOnly: true },
      );
      if (flags.out !== undefined)
        io.stderr(`Exported ${count} entries to ${escapeText(flags.out)}\n`);
    });
}
