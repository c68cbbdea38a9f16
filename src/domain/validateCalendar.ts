import { deepFreeze } from './deepFreeze.js';
import type {
  CalendarConfig,
  CalendarInput,
  LocalDate,
  TimeSlot,
  TimeSlotInput,
  Weekday,
  WorkingHours,
  WorkingHoursInput,
} from './types.js';
import { WEEKDAYS } from './types.js';
import {
  type InputRecord,
  readId,
  readInteger,
  readList,
  readLocalDate,
  readRecord,
  readText,
  readWallTime,
} from './validateFields.js';
import { defineFields, optional, readFields, rule, withDefault } from './validateFieldTable.js';
import { readTimeZone } from './validateTimeZone.js';
import { type InputScope, invalid, nestedScope, unknownKey } from './validationFailure.js';
import { wallTimeToMinutes } from './wallTime.js';

const SCOPE: InputScope = Object.freeze({
  code: 'planflow:invalid-calendar',
  subject: 'Calendar',
  path: '',
});

/** Hours used when a calendar gives none: every day, all day — a calendar that only caps. */
const ALWAYS_OPEN: Readonly<Record<Weekday, WorkingHours>> = Object.fromEntries(
  WEEKDAYS.map((day) => [day, { start: '00:00', end: '24:00' }]),
) as Record<Weekday, WorkingHours>;

const wallTime = rule<string>((v, s, f) => readWallTime(v, s, f));

/** A slot's fields, typed against {@link TimeSlotInput}. */
const SLOT_FIELDS = defineFields<TimeSlotInput, TimeSlot>({
  id: rule<string>(readId),
  start: wallTime,
  label: optional(rule<string>((v, s, f) => readText(v, s, f, 200))),
});

/** A weekday's fields, typed against {@link WorkingHoursInput}; `slots` is checked after. */
const DAY_FIELDS = defineFields<WorkingHoursInput, WorkingHours>({
  start: wallTime,
  end: rule<string>((v, s, f) => readWallTime(v, s, f, true)),
  slots: optional(rule<readonly string[]>((v, s, f) => readList(v, s, f, 'slot ids') as string[])),
});

function readSlot(value: unknown, scope: InputScope): TimeSlot {
  return readFields(SLOT_FIELDS, readRecord(value, scope, ''), scope) as TimeSlot;
}

function readSlots(value: unknown, scope: InputScope, field: string): readonly TimeSlot[] {
  const seen = new Set<string>();
  return readList(value, scope, field, 'slots').map((item, i) => {
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
  const { start, end, slots } = readFields(DAY_FIELDS, record, scope) as WorkingHours;
  if (wallTimeToMinutes(end) <= wallTimeToMinutes(start)) {
    throw invalid(
      scope,
      'end',
      `later than start "${start}" (overnight hours are not supported)`,
      end,
    );
  }
  if (slots === undefined) return { start, end };
  const names = slots.map((name, i) => {
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

function readHolidays(value: unknown, scope: InputScope, field: string): readonly LocalDate[] {
  const dates = readList(value, scope, field, 'dates').map((d, i) =>
    readLocalDate(d, scope, `${field}[${i}]`),
  );
  return [...new Set(dates)].sort();
}

/**
 * The calendar's fields in the order they are stored, typed against {@link CalendarInput}.
 * `workingHours` is only checked to be an object here: its days are read once the slot pool
 * they refer to is known.
 */
const FIELDS = defineFields<CalendarInput, CalendarConfig>({
  timeZone: rule<string>(readTimeZone),
  workingHours: withDefault(
    rule<CalendarInput['workingHours'] & object, CalendarConfig['workingHours']>(readRecord),
    ALWAYS_OPEN,
  ),
  slots: withDefault(rule<readonly TimeSlotInput[], readonly TimeSlot[]>(readSlots), []),
  maxPerDay: optional(rule<number>((v, s, f) => readInteger(v, s, f, 1))),
  holidays: optional(rule<readonly LocalDate[]>(readHolidays)),
  exclusiveInstants: optional(
    rule<boolean>((v, s, f) => {
      if (typeof v !== 'boolean') throw invalid(s, f, 'true or false', v);
      return v;
    }),
  ),
});

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
  const calendar = readFields(FIELDS, record, SCOPE);
  const pool = new Map(calendar.slots!.map((s) => [s.id, s]));
  // Replaced in place, so the key keeps its stored position.
  if (record.workingHours !== undefined) {
    calendar.workingHours = readWorkingHours(record.workingHours, pool);
  }
  return deepFreeze(calendar as CalendarConfig);
}
