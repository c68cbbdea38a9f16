import type { CalendarConfig, Weekday } from '../domain/types.js';
import { WEEKDAYS } from '../domain/types.js';
import { MINUTES_PER_DAY, wallTimeToMinutes } from '../domain/wallTime.js';
import { dayNumberOf, localDateOf, weekdayOf } from './civilDate.js';
import { zonedInstantOfDay, zonedParts } from './zonedTime.js';

/** A place a day offers: the instant and the pool slot starting there. */
export type Candidate = Readonly<{ atMs: number; slotId: string; rank: number }>;

/**
 * One local day of a calendar, resolved to instants. Everything here depends only on the
 * calendar and the date, so it is computed once and reused by every planning call.
 */
export type CalendarDay = Readonly<{
  dayNumber: number;
  localDate: string;
  /** No working hours that weekday, or a holiday. */
  closed: boolean;
  /** Working hours as milliseconds since local midnight, `[startMsOfDay, endMsOfDay)`. */
  startMsOfDay: number;
  endMsOfDay: number;
  /** Instants of the first and last+1 working minute, for stepping through the day. */
  openMs: number;
  closeMs: number;
  /** The day only accepts occurrences at its `slots` (WorkingHours.slots was given). */
  restricted: boolean;
  /**
   * Slot starts the day offers, by instant, each inside working hours on the local clock:
   * the day's own `slots` when restricted, otherwise the pool slots inside its hours.
   */
  candidates: readonly Candidate[];
}>;

type Rules = Readonly<{
  timeZone: string;
  holidays: ReadonlySet<number>;
  hours: Readonly<
    Partial<Record<Weekday, { start: number; end: number; slots?: readonly string[] }>>
  >;
  /** Pool order, used to break ties between slots starting at the same instant. */
  rankOf: ReadonlyMap<string, number>;
  poolStarts: ReadonlyMap<string, number>;
  days: Map<number, CalendarDay>;
}>;

/** Resolved days are memoised per frozen calendar object (validated calendars are frozen). */
const compiled = new WeakMap<CalendarConfig, Rules>();
const DAYS_PER_CALENDAR = 4096;

function rulesOf(calendar: CalendarConfig): Rules {
  let rules = compiled.get(calendar);
  if (rules === undefined) {
    const hours: Partial<
      Record<Weekday, { start: number; end: number; slots?: readonly string[] }>
    > = {};
    for (const day of WEEKDAYS) {
      const wh = calendar.workingHours[day];
      if (wh === undefined) continue;
      const start = wallTimeToMinutes(wh.start);
      const end = wh.end === '24:00' ? MINUTES_PER_DAY : wallTimeToMinutes(wh.end);
      hours[day] = wh.slots === undefined ? { start, end } : { start, end, slots: wh.slots };
    }
    rules = {
      timeZone: calendar.timeZone,
      holidays: new Set((calendar.holidays ?? []).map(dayNumberOf)),
      hours,
      rankOf: new Map(calendar.slots.map((s, i) => [s.id, i])),
      poolStarts: new Map(calendar.slots.map((s) => [s.id, wallTimeToMinutes(s.start)])),
      days: new Map(),
    };
    // Only a frozen calendar (what parseCalendar returns) is memoised: a hand-built object
    // could still change, and a stale memo would silently plan against the old rules.
    if (Object.isFrozen(calendar)) compiled.set(calendar, rules);
  }
  return rules;
}

function resolve(rules: Rules, dayNumber: number): CalendarDay {
  const localDate = localDateOf(dayNumber);
  const hours = rules.hours[weekdayOf(dayNumber)];
  if (hours === undefined || rules.holidays.has(dayNumber)) {
    return {
      dayNumber,
      localDate,
      closed: true,
      startMsOfDay: 0,
      endMsOfDay: 0,
      openMs: 0,
      closeMs: 0,
      restricted: false,
      candidates: [],
    };
  }
  const startMsOfDay = hours.start * 60_000;
  const endMsOfDay = hours.end * 60_000;
  const ids = hours.slots ?? [...rules.poolStarts.keys()];
  const candidates: Candidate[] = [];
  for (const slotId of ids) {
    const minute = rules.poolStarts.get(slotId);
    if (minute === undefined) continue;
    const atMs = zonedInstantOfDay(dayNumber, minute, rules.timeZone);
    const local = zonedParts(atMs, rules.timeZone);
    // A slot shifted out of the day or out of hours by a DST gap is not offered that day.
    if (
      local.dayNumber !== dayNumber ||
      local.msOfDay < startMsOfDay ||
      local.msOfDay >= endMsOfDay
    )
      continue;
    candidates.push({ atMs, slotId, rank: rules.rankOf.get(slotId) ?? 0 });
  }
  candidates.sort((a, b) => a.atMs - b.atMs || a.rank - b.rank);
  return {
    dayNumber,
    localDate,
    closed: false,
    startMsOfDay,
    endMsOfDay,
    openMs: zonedInstantOfDay(dayNumber, hours.start, rules.timeZone),
    closeMs: zonedInstantOfDay(dayNumber, hours.end, rules.timeZone),
    restricted: hours.slots !== undefined,
    candidates,
  };
}

/** The resolved rules of local day `dayNumber` in `calendar`. */
export function calendarDay(calendar: CalendarConfig, dayNumber: number): CalendarDay {
  const rules = rulesOf(calendar);
  let day = rules.days.get(dayNumber);
  if (day === undefined) {
    day = resolve(rules, dayNumber);
    if (rules.days.size >= DAYS_PER_CALENDAR) rules.days.clear();
    rules.days.set(dayNumber, day);
  }
  return day;
}
