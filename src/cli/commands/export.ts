import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { StoredEvent } from '../../log/events.js';
import type { CommandContext } from '../context.js';
import { inputError } from '../exitCodes.js';
import { csvHeader, toCsvRow, toJsonLine } from '../format/exportFormats.js';
import { withStore } from '../openLog.js';

type ExportFlags = { format: string; out?: string; verify: boolean };

/** Writes to a file, resolving once everything is flushed (or rejecting on an I/O error). */
function fileWriter(path: string) {
  const stream = createWriteStream(path, { encoding: 'utf8' });
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  failed.catch(() => {});
  return {
    write: (text: string) => {
      stream.write(text);
    },
    close: () => Promise.race([failed, new Promise<void>((done) => stream.end(() => done()))]),
  };
}

/**
 * `planflow export [--format jsonl|csv] [--out file]`: every log entry with all its fields
 * (hashes included), in log order. JSONL keeps the payload as an object; CSV puts it in a
 * `data` column as JSON text.
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
      const count = await withStore(
        ctx.dbPath(),
        async (store) => {
          const out =
            flags.out === undefined
              ? { write: io.stdout, close: async () => {} }
              : fileWriter(resolve(io.cwd, flags.out));
          let n = 0;
          if (format === 'csv') out.write(csvHeader());
          for await (const batch of store.read()) {
            out.write(batch.map(line).join(''));
            n += batch.length;
          }
          await out.close();
          return n;
        },
        { verifyOnOpen: flags.verify, readOnly: true },
      );
      if (flags.out !== undefined) io.stderr(`Exported ${count} entries to ${flags.out}\n`);
    });
}
