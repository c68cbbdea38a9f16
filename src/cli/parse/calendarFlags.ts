import type { CalendarConfig, TimeSlot, Weekday, WorkingHours } from '../../domain/types.js';
import { WEEKDAYS } from '../../domain/types.js';
import { parseCalendar } from '../../domain/validateCalendar.js';
import { inputError } from '../exitCodes.js';

/** The `calendar` command's change flags, as commander collects them. */
export type CalendarFlags = Readonly<{
  hours?: readonly string[];
  slot?: readonly string[];
  maxPerDay?: string;
  tz?: string;
  holiday?: readonly string[];
  removeHoliday?: readonly string[];
}>;

type MutableCalendar = {
  timeZone: string;
  workingHours: Partial<Record<Weekday, WorkingHours>>;
  slots: TimeSlot[];
  maxPerDay?: number;
  holidays?: string[];
};

const HOURS = /^(\d{2}:\d{2})-(\d{2}:\d{2})(?:@([^@]+))?$/;

/** True when at least one flag asks for a change (otherwise `calendar` shows the current one). */
export function hasCalendarChanges(flags: CalendarFlags): boolean {
  return (
    (flags.hours?.length ?? 0) > 0 ||
    (flags.slot?.length ?? 0) > 0 ||
    flags.maxPerDay !== undefined ||
    flags.tz !== undefined ||
    (flags.holiday?.length ?? 0) > 0 ||
    (flags.removeHoliday?.length ?? 0) > 0
  );
}

/** `mon-fri`, `sat,sun`, `mon-wed,fri`, `all` → weekdays (ranges may wrap: `fri-mon`). */
export function parseWeekdays(text: string, flag: string): Weekday[] {
  const fail = () =>
    inputError(
      flag,
      `${flag} days must be weekday names (${WEEKDAYS.join(', ')}), ranges such as mon-fri, lists such as sat,sun, or "all", got ${JSON.stringify(text)}`,
    );
  const value = text.trim().toLowerCase();
  if (value === 'all') return [...WEEKDAYS];
  const days = new Set<Weekday>();
  for (const part of value.split(',')) {
    const [from, to, extra] = part.split('-');
    const a = WEEKDAYS.indexOf(from as Weekday);
    const b = to === undefined ? a : WEEKDAYS.indexOf(to as Weekday);
    if (a < 0 || b < 0 || extra !== undefined) throw fail();
    for (let i = a; ; i = (i + 1) % 7) {
      days.add(WEEKDAYS[i]!);
      if (i === b) break;
    }
  }
  return WEEKDAYS.filter((d) => days.has(d));
}

function applyHours(calendar: MutableCalendar, specs: readonly string[]): void {
  const flag = '--hours';
  calendar.workingHours = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const expected = `${flag} must look like mon-fri=09:00-17:00, mon=09:00-12:00@morning,noon or sat,sun=off, got ${JSON.stringify(spec)}`;
    if (eq < 0) throw inputError(flag, expected);
    const days = parseWeekdays(spec.slice(0, eq), flag);
    const value = spec.slice(eq + 1).trim();
    if (value.toLowerCase() === 'off') {
      for (const day of days) delete calendar.workingHours[day];
      continue;
    }
    const m = HOURS.exec(value);
    if (m === null) throw inputError(flag, expected);
    const slots = m[3]?.split(',').map((s) => s.trim());
    const hours: WorkingHours =
      slots === undefined ? { start: m[1]!, end: m[2]! } : { start: m[1]!, end: m[2]!, slots };
    for (const day of days) calendar.workingHours[day] = hours;
  }
}

function applySlots(calendar: MutableCalendar, specs: readonly string[]): void {
  const flag = '--slot';
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) {
      throw inputError(
        flag,
        `${flag} must look like morning=09:30 (or morning=off to remove it), got ${JSON.stringify(spec)}`,
      );
    }
    const id = spec.slice(0, eq).trim();
    const start = spec.slice(eq + 1).trim();
    if (start.toLowerCase() === 'off') {
      calendar.slots = calendar.slots.filter((s) => s.id !== id);
    } else if (calendar.slots.some((s) => s.id === id)) {
      // Moved in place: setting a slot to the time it has is no change at all.
      calendar.slots = calendar.slots.map((s) => (s.id === id ? { ...s, start } : s));
    } else {
      calendar.slots = [...calendar.slots, { id, start }];
    }
  }
}

function applyMaxPerDay(calendar: MutableCalendar, text: string): void {
  const value = text.trim().toLowerCase();
  if (value === 'none') {
    delete calendar.maxPerDay;
    return;
  }
  if (!/^\d+$/.test(value)) {
    throw inputError(
      '--max-per-day',
      `--max-per-day must be a whole number ≥ 1 or "none", got ${JSON.stringify(text)}`,
    );
  }
  calendar.maxPerDay = Number(value);
}

/** True for an existing date `YYYY-MM-DD`, by the rule calendars use for holidays. */
function isLocalDate(text: string): boolean {
  try {
    parseCalendar({ timeZone: 'UTC', holidays: [text] });
    return true;
  } catch {
    return false;
  }
}

/**
 * The calendar input that results from applying the flags to `current`: `--tz` replaces the
 * zone; the `--hours` flags given replace the whole week (a weekday none of them names has no
 * working hours; later flags win for a day named twice); `--slot id=HH:MM` adds or replaces
 * one slot and `id=off` removes it; `--max-per-day n|none`; `--holiday` adds dates and
 * `--remove-holiday` removes them. Only the flag syntax is checked here: the result is
 * untrusted calendar input for `parseCalendar`, which checks the values.
 * @throws ValidationError (`planflow:invalid-input`) for a malformed flag.
 */
export function applyCalendarFlags(current: CalendarConfig, flags: CalendarFlags): unknown {
  const calendar: MutableCalendar = {
    timeZone: flags.tz ?? current.timeZone,
    workingHours: { ...current.workingHours },
    slots: [...current.slots],
  };
  if (current.maxPerDay !== undefined) calendar.maxPerDay = current.maxPerDay;
  if (current.holidays !== undefined) calendar.holidays = [...current.holidays];
  if ((flags.hours?.length ?? 0) > 0) applyHours(calendar, flags.hours ?? []);
  applySlots(calendar, flags.slot ?? []);
  if (flags.maxPerDay !== undefined) applyMaxPerDay(calendar, flags.maxPerDay);
  for (const date of flags.removeHoliday ?? []) {
    if (!isLocalDate(date)) {
      throw inputError(
        '--remove-holiday',
        `--remove-holiday must be an existing date YYYY-MM-DD such as 2026-12-25, got ${JSON.stringify(date)}`,
      );
    }
  }
  const removed = new Set(flags.removeHoliday ?? []);
  const holidays = [...(calendar.holidays ?? []), ...(flags.holiday ?? [])].filter(
    (d) => !removed.has(d),
  );
  if (holidays.length > 0) calendar.holidays = holidays;
  else delete calendar.holidays;
  return calendar;
}
