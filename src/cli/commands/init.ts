import { createPublicKey } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { isPlanflowError } from '../../domain/errors.js';
import { parseCalendar } from '../../domain/validateCalendar.js';
import { keyIdOf } from '../../log/signingKey.js';
import { postgresStore } from '../../postgres/index.js';
import { isPostgresUrl } from '../../postgres/postgresStoreOptions.js';
import { sqliteStore } from '../../sqlite/index.js';
import type { CommandContext } from '../context.js';
import { escapeText } from '../format/escapeText.js';
import { dbLabel, openScheduler, withLog } from '../openLog.js';
import { withFlags } from '../parse/flagErrors.js';

/** The machine's own zone: what someone typing `planflow init` most likely means. */
function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * `planflow init [--tz <zone>]`: creates the log with a calendar open every day in the given
 * zone. Running it again on an initialised log changes nothing (use `planflow calendar`).
 */
export function registerInit(program: Command, ctx: CommandContext): void {
  program
    .command('init')
    .description('create the log file with a calendar (open all day, every day)')
    .option('--tz <zone>', "the calendar's IANA time zone (default: this machine's zone)")
    .action(async (flags: { tz?: string }) => {
      const calendar = withFlags('init', [['timeZone', '--tz']], () =>
        parseCalendar({ timeZone: flags.tz ?? localTimeZone() }),
      );
      const path = ctx.dbPath();
      const { io, style } = ctx;
      const signingKey = ctx.signingKey();
      const postgres = isPostgresUrl(path);
      // An empty file is what `touch` or a mkstemp leaves: init turns it into the log. A
      // PostgreSQL schema without a log is refused by a read-only open: then init creates it.
      const existing = postgres
        ? await withLog(path, (log) => log.model.calendar).then(
            (calendar) => ({ calendar }),
            (error: unknown) => {
              if (
                isPlanflowError(error, 'planflow:storage-unavailable') &&
                !(error as { transient?: boolean }).transient
              )
                return undefined;
              throw error;
            },
          )
        : existsSync(path) && statSync(path).size > 0
          ? { calendar: await withLog(path, (log) => log.model.calendar) }
          : undefined;
      if (existing !== undefined) {
        const known = existing.calendar;
        if (known !== undefined) {
          io.stdout(
            `${escapeText(dbLabel(path))} is already initialised (calendar zone ${escapeText(known.timeZone)}); nothing changed. Change the calendar with: planflow calendar --help\n`,
          );
          return;
        }
      }
      const signing = signingKey === undefined ? {} : { signingKey };
      const store = postgres
        ? await postgresStore({ connectionString: path, ...signing })
        : await sqliteStore({ path, ...signing });
      try {
        await openScheduler(store, io, { calendar, nowMs: io.clock.now() });
      } finally {
        await store.close();
      }
      io.stdout(
        `${style.green('Initialised')} ${escapeText(dbLabel(path))} (calendar zone ${escapeText(calendar.timeZone)}, open all day, every day)\n` +
          (signingKey === undefined
            ? ''
            : `Checkpoints are signed with key ${keyIdOf(createPublicKey(signingKey)).slice(0, 16)}…; check them with: planflow verify --public-key <public key file>\n`) +
          'Next: planflow calendar --hours mon-fri=09:00-17:00   then   planflow task add "Title" --at +15m --run "<command>"\n',
      );
    });
}
