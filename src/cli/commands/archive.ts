import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ArchiveResult } from '../../log/ArchivingStore.js';
import { isPostgresUrl } from '../../postgres/postgresStoreOptions.js';
import { archiveLog } from '../../sqlite/index.js';
import type { CommandContext } from '../context.js';
import { inputError } from '../exitCodes.js';
import { escapeText, toSafeJson } from '../format/escapeText.js';
import { requireLogFile, withStore } from '../openLog.js';
import { parseDuration } from '../parse/duration.js';
import { parseCliInstant } from '../parse/instant.js';

type ArchiveFlags = { before: string; out?: string; vacuum?: boolean; json?: boolean };

/** Entries older than this are archived when `--before` is not given. */
const DEFAULT_BEFORE = '90d';

/**
 * The cutoff `--before` names: a duration (`90d`: entries older than 90 days) or an instant
 * (`2026-01-01T00:00:00Z`, `now`, words such as `last monday`).
 */
function cutoffMs(text: string, nowMs: number): number {
  try {
    return nowMs - parseDuration(text, '--before');
  } catch {
    // Not a duration: an instant, or neither.
  }
  try {
    return Date.parse(parseCliInstant(text, '--before', nowMs));
  } catch {
    throw inputError(
      '--before',
      `--before must be a duration such as 90d or 12h (entries older than that), or an instant such as 2026-01-01T00:00:00Z or "last monday", got ${JSON.stringify(text)}`,
    );
  }
}

const mb = (bytes: number): string => `${(bytes / 1_048_576).toFixed(1)} MB`;

/**
 * One run on a PostgreSQL schema: `--out` is required (there is no log file to put the
 * segment beside) and `--vacuum` is refused (the server reuses the dead rows; `VACUUM FULL`
 * is the database's own).
 */
async function archiveSchema(
  ctx: CommandContext,
  flags: ArchiveFlags,
  before: number,
): Promise<ArchiveResult> {
  if (flags.out === undefined) {
    throw inputError(
      '--out',
      'a PostgreSQL log has no file to put the segment beside: give the directory with --out <dir>',
    );
  }
  if (flags.vacuum === true) {
    throw inputError(
      '--vacuum',
      '--vacuum compacts an SQLite file; PostgreSQL reuses the archived rows for later appends (run VACUUM FULL on the schema to give the space back)',
    );
  }
  const archiveDir = resolve(ctx.io.cwd, flags.out);
  const signingKey = ctx.signingKey();
  return withStore(ctx.dbPath(), (store) => store.archive({ before, archiveDir }), {
    clock: ctx.io.clock,
    ...(signingKey === undefined ? {} : { signingKey }),
  });
}

/**
 * `planflow archive [--before <instant|duration>] [--out <dir>] [--vacuum] [--json]`: moves
 * every entry older than the cutoff (a prefix of the log) into one sealed, compressed segment
 * in `--out` (default `<db>.archive`; required on PostgreSQL), and takes the settled
 * occurrences it completes out of the read model. Live occurrences and tasks stay; `planflow verify --archive` checks the
 * segments and the log as one chain, `planflow history --archive` reads them.
 */
export function registerArchive(program: Command, ctx: CommandContext): void {
  program
    .command('archive')
    .description(
      'move entries older than --before into a sealed segment (JSONL + gzip) that verifies with the log',
    )
    .option(
      '--before <instant|duration>',
      'archive entries older than this: a duration such as 90d, or an instant',
      DEFAULT_BEFORE,
    )
    .option(
      '--out <dir>',
      'the directory for the segment (default: <db>.archive; required with a postgres:// --db)',
    )
    .option('--vacuum', 'compact the log file afterwards (SQLite VACUUM), so it shrinks')
    .option('--json', 'print what was archived as JSON')
    .action(async (flags: ArchiveFlags) => {
      const { io, style } = ctx;
      const path = ctx.dbPath();
      requireLogFile(path);
      const nowMs = io.clock.now();
      const before = cutoffMs(flags.before, nowMs);
      const signingKey = ctx.signingKey();
      const result: ArchiveResult & { bytesBefore?: number; bytesAfter?: number } = isPostgresUrl(
        path,
      )
        ? await archiveSchema(ctx, flags, before)
        : await archiveLog(path, {
            before,
            clock: io.clock,
            ...(flags.out === undefined ? {} : { archiveDir: resolve(io.cwd, flags.out) }),
            ...(flags.vacuum === true ? { vacuum: true } : {}),
            ...(signingKey === undefined ? {} : { signingKey }),
          });
      if (flags.json === true) {
        io.stdout(`${toSafeJson(result)}\n`);
        return;
      }
      const { segment } = result;
      if (segment === undefined) {
        io.stdout(
          `${style.yellow('nothing to archive')}: no entry is older than ${escapeText(result.before)}\n`,
        );
        return;
      }
      io.stdout(
        `${style.green('archived')} entries ${segment.firstSeq}..${segment.lastSeq} (${segment.count}) older than ${escapeText(result.before)}\n` +
          `  segment  ${escapeText(result.path ?? segment.file)} (${mb(segment.bytes)})\n` +
          `  sha256   ${escapeText(segment.sha256)}\n` +
          `  ${result.prunedOccurrences} settled occurrence(s) left the read model; the live log starts at entry #${segment.lastSeq + 1}\n` +
          (result.bytesBefore === undefined || result.bytesAfter === undefined
            ? ''
            : `  log file ${mb(result.bytesBefore)} → ${mb(result.bytesAfter)}${flags.vacuum === true ? '' : ' (freed pages are reused; --vacuum shrinks the file)'}\n`),
      );
    });
}
