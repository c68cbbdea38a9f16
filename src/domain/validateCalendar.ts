import { deepFreeze } from './deepFreeze.js';
import type { CalendarConfig, TimeSlot, Weekday, WorkingHours } from './types.js';
import { WEEKDAYS } from './types.js';
import {
  type InputRecord,
  readId,
  readInteger,
  readLocalDate,
  readRecord,
  readText,
  readWallTime,
  rejectUnknownKeys,
} from './validateFields.js';
import { readTimeZone } from './validateTimeZone.js';
import { type InputScope, invalid, nestedScope, unknownKey } from './validationFailure.js';
import { wallTimeToMinutes } from './wallTime.js';

const SCOPE: InputScope = Object.freeze({
  code: 'planflow:invalid-calendar',
  subject: 'Calendar',
  path: '',
});

const KEYS = [
  'timeZone',
  'workingHours',
  'slots',
  'maxPerDay',
  'holidays',
  'exclusiveInstants',
] as const;

/** Hours used when a calendar gives none: every day, all day — a calendar that only caps. */
const ALWAYS_OPEN: Readonly<Record<Weekday, WorkingHours>> = Object.fromEntries(
  WEEKDAYS.map((day) => [day, { start: '00:00', end: '24:00' }]),
) as Record<Weekday, WorkingHours>;

function readArray(value: unknown, scope: InputScope, field: string): readonly unknown[] {
  if (!Array.isArray(value)) throw invalid(scope, field, 'an array', value);
  return value;
}

function readSlot(value: unknown, scope: InputScope): TimeSlot {
  const record = readRecord(value, scope, '');
  rejectUnknownKeys(record, ['id', 'start', 'label'], scope);
  const id = readId(record.id, scope, 'id');
  const start = readWallTime(record.start, scope, 'start');
  if (record.label === undefined) return { id, start };
  return { id, start, label: readText(record.label, scope, 'label', 200) };
}

function readSlots(value: unknown): readonly TimeSlot[] {
  if (value === undefined) return [];
  const seen = new Set<string>();
  return readArray(value, SCOPE, 'slots').map((item, i) => {
    const slot = readSlot(item, nestedScope(SCOPE, `slots[${i}]`));
    if (seen.has(slot.id)) {
      throw invalid(
        SCOPE,
        `slots[${i}].id`,
        'unique among the slots (rename one of them)',
        slot.id,
      );
    }
    seen.add(slot.id);
    return slot;
  });
}

function readDay(
  value: unknown,
  scope: InputScope,
  pool: ReadonlyMap<string, TimeSlot>,
): WorkingHours {
  const record: InputRecord = readRecord(value, scope, '');
  rejectUnknownKeys(record, ['start', 'end', 'slots'], scope);
  const start = readWallTime(record.start, scope, 'start');
  const end = readWallTime(record.end, scope, 'end', true);
  if (wallTimeToMinutes(end) <= wallTimeToMinutes(start)) {
    throw invalid(
      scope,
      'end',
      `later than start "${start}" (overnight hours are not supported)`,
      end,
    );
  }
  if (record.slots === undefined) return { start, end };
  const names = readArray(record.slots, scope, 'slots').map((name, i) => {
    const field = `slots[${i}]`;
    const id = readId(name, scope, field);
    const slot = pool.get(id);
    if (slot === undefined) {
      const known = [...pool.keys()].map((k) => `"${k}"`).join(', ') || 'none defined';
      throw invalid(scope, field, `the id of a slot in the calendar's slots (known: ${known})`, id);
    }
    const minute = wallTimeToMinutes(slot.start);
    if (minute < wallTimeToMinutes(start) || minute >= wallTimeToMinutes(end)) {
      throw invalid(
        scope,
        field,
        `a slot starting inside ${start}–${end} ("${id}" starts at ${slot.start})`,
        id,
      );
    }
    return id;
  });
  if (new Set(names).size !== names.length) {
    throw invalid(scope, 'slots', 'a list without duplicate slot ids', names);
  }
  return { start, end, slots: names };
}

function readWorkingHours(
  value: unknown,
  pool: ReadonlyMap<string, TimeSlot>,
): Partial<Record<Weekday, WorkingHours>> {
  const record = readRecord(value, SCOPE, 'workingHours');
  const scope = nestedScope(SCOPE, 'workingHours');
  const out: Partial<Record<Weekday, WorkingHours>> = {};
  for (const key of Object.keys(record)) {
    if (!(WEEKDAYS as readonly string[]).includes(key)) {
      throw unknownKey(scope, key, 'a weekday key', WEEKDAYS);
    }
    out[key as Weekday] = readDay(record[key], nestedScope(scope, key), pool);
  }
  return out;
}

function readHolidays(value: unknown): readonly string[] {
  const dates = readArray(value, SCOPE, 'holidays').map((d, i) =>
    readLocalDate(d, SCOPE, `holidays[${i}]`),
  );
  return [...new Set(dates)].sort();
}

/**
 * Validates a calendar and returns it deeply frozen. Checks what would otherwise surface as a
 * calendar that silently never schedules anything: an unknown zone, an end of day not after
 * its start, a weekday key like `monday`, a day restricted to a slot that does not exist or
 * starts outside that day's hours, duplicate slot ids, and malformed `"HH:MM"` times.
 * Holidays are de-duplicated and sorted. Without `workingHours` every day is open all day
 * (`00:00`–`24:00`); with it, a weekday left out has no working hours.
 * @throws ValidationError (`planflow:invalid-calendar`) naming the field.
 * @example
 * parseCalendar({
 *   timeZone: 'Europe/Berlin',
 *   workingHours: { mon: { start: '09:00', end: '17:00' } },
 *   slots: [{ id: 'morning', start: '09:30' }],
 *   maxPerDay: 4,
 * });
 */
export function parseCalendar(input: unknown): CalendarConfig {
  const record = readRecord(input, SCOPE, '');
  rejectUnknownKeys(record, KEYS, SCOPE);
  const timeZone = readTimeZone(record.timeZone, SCOPE, 'timeZone');
  const slots = readSlots(record.slots);
  const pool = new Map(slots.map((s) => [s.id, s]));
  const workingHours =
    record.workingHours === undefined ? ALWAYS_OPEN : readWorkingHours(record.workingHours, pool);
  const calendar: { -readonly [K in keyof CalendarConfig]: CalendarConfig[K] } = {
    timeZone,
    workingHours,
    slots,
  };
  if (record.maxPerDay !== undefined) {
    calendar.maxPerDay = readInteger(record.maxPerDay, SCOPE, 'maxPerDay', 1);
  }
  if (record.holidays !== undefined) calendar.holidays = readHolidays(record.holidays);
  if (record.exclusiveInstants !== undefined) {
    if (typeof record.exclusiveInstants !== 'boolean') {
      throw invalid(SCOPE, 'exclusiveInstants', 'true or false', record.exclusiveInstants);
    }
    calendar.exclusiveInstants = record.exclusiveInstants;
  }
  return deepFreeze(calendar);
}
