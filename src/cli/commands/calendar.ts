import type { Command } from 'commander';
import type { CalendarConfig } from '../../domain/types.js';
import { parseCalendar } from '../../domain/validateCalendar.js';
import type { CommandContext } from '../context.js';
import { renderCalendar } from '../format/calendarView.js';
import { toSafeJson } from '../format/escapeText.js';
import { openScheduler, withLog, withWritableStore } from '../openLog.js';
import {
  applyCalendarFlags,
  type CalendarFlags,
  hasCalendarChanges,
} from '../parse/calendarFlags.js';
import { type FieldFlags, withFlags } from '../parse/flagErrors.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

const CALENDAR_FIELD_FLAGS: FieldFlags = [
  ['timeZone', '--tz'],
  ['workingHours', '--hours'],
  ['slots', '--slot'],
  ['maxPerDay', '--max-per-day'],
  ['holidays', '--holiday'],
];

/** A calendar any flag can be applied to, to check flag syntax before the log is opened. */
const PROBE = parseCalendar({ timeZone: 'UTC' });

/** Two calendars that plan alike: both validated, so field order and holidays are normal. */
const sameCalendar = (a: CalendarConfig, b: CalendarConfig) =>
  JSON.stringify(parseCalendar(a)) === JSON.stringify(parseCalendar(b));

/**
 * `planflow calendar [flags]`: shows the calendar, or changes it. The change is validated as
 * a whole against the recorded calendar before it is appended, so a refused change leaves
 * the log untouched; a change that leaves the calendar as it is appends nothing and says so.
 */
export function registerCalendar(program: Command, ctx: CommandContext): void {
  program
    .command('calendar')
    .description('show the calendar, or change it with the flags below')
    .option('--tz <zone>', 'IANA time zone, e.g. Europe/Berlin')
    .option(
      '--hours <days=hours>',
      'working hours, e.g. mon-fri=09:00-17:00, sat=10:00-12:00@morning, sun=off; the --hours given replace the whole week',
      collect,
    )
    .option(
      '--slot <id=HH:MM>',
      'add or move a named slot, e.g. morning=09:30 (morning=off removes it)',
      collect,
    )
    .option('--max-per-day <n>', 'cap on runs per day, or "none"')
    .option('--holiday <date>', 'a day off, YYYY-MM-DD (repeatable)', collect)
    .option('--remove-holiday <date>', 'remove a day off (repeatable)', collect)
    .option('--json', 'print the calendar as JSON')
    .action(async (flags: CalendarFlags & { json?: boolean }) => {
      const { io, style } = ctx;
      const print = (calendar: Parameters<typeof renderCalendar>[0]) =>
        io.stdout(flags.json === true ? `${toSafeJson(calendar, 2)}\n` : renderCalendar(calendar));
      if (!hasCalendarChanges(flags)) {
        const calendar = await withLog(ctx.dbPath(), (log) => log.model.calendar);
        if (calendar === undefined) {
          io.stdout('No calendar recorded yet; run planflow init first.\n');
          return;
        }
        print(calendar);
        return;
      }
      withFlags('calendar', CALENDAR_FIELD_FLAGS, () => applyCalendarFlags(PROBE, flags));
      const { calendar, changed } = await withWritableStore(ctx, async (store) => {
        const scheduler = await openScheduler(store, io, { nowMs: io.clock.now() });
        const next = withFlags('calendar', CALENDAR_FIELD_FLAGS, () =>
          parseCalendar(applyCalendarFlags(scheduler.calendar, flags)),
        );
        if (sameCalendar(next, scheduler.calendar)) {
          return { calendar: scheduler.calendar, changed: false };
        }
        return { calendar: await scheduler.configureCalendar(next), changed: true };
      });
      if (flags.json !== true) {
        io.stdout(
          changed
            ? `${style.green('Calendar updated')}\n`
            : `${style.yellow('Calendar unchanged')}: it already is what these flags ask for; nothing was recorded\n`,
        );
      }
      print(calendar);
    });
}
