import { deepFreeze } from './deepFreeze.js';
import { copyJson } from './validateJson.js';
import { type InputScope, invalid } from './validationFailure.js';
import { isWallTime } from './wallTime.js';

/** Longest accepted id (task, slot, occurrence, handler). */
export const MAX_ID_LENGTH = 200;

/** Plain object read from untrusted input. */
export type InputRecord = Readonly<Record<string, unknown>>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `value` as a plain object (not an array, Date or class instance), or a ValidationError. */
export function readRecord(value: unknown, scope: InputScope, field: string): InputRecord {
  if (!isPlainObject(value)) throw invalid(scope, field, 'a plain object', value);
  return value;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it detects
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * An identifier: 1–200 characters, no control characters, not blank and without surrounding
 * whitespace. Ids are compared exactly and end up in log streams and CLI output, so `" a"` and
 * `"a"` must never both be accepted as different things by accident.
 */
export function readId(value: unknown, scope: InputScope, field: string): string {
  const expected = `a non-blank id of at most ${MAX_ID_LENGTH} characters without control characters or surrounding spaces`;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw invalid(scope, field, expected, value);
  }
  if (CONTROL.test(value) || value.trim() !== value || value.trim() === '') {
    throw invalid(scope, field, expected, value);
  }
  return value;
}

/** A human text (title, description): non-blank after trimming, trimmed, bounded length. */
export function readText(
  value: unknown,
  scope: InputScope,
  field: string,
  maxLength: number,
): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > maxLength) {
    throw invalid(scope, field, `a non-blank string of at most ${maxLength} characters`, value);
  }
  return value.trim();
}

/** A safe integer in `[min, max]`. */
export function readInteger(
  value: unknown,
  scope: InputScope,
  field: string,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `between ${min} and ${max}`;
    throw invalid(scope, field, `an integer ${range}`, value);
  }
  return value;
}

/** One of a fixed set of strings. */
export function readChoice<T extends string>(
  value: unknown,
  choices: readonly T[],
  scope: InputScope,
  field: string,
): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw invalid(scope, field, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, value);
  }
  return value as T;
}

/** A strict `"HH:MM"` wall-clock time (`"24:00"` only when `allowEndOfDay`). */
export function readWallTime(
  value: unknown,
  scope: InputScope,
  field: string,
  allowEndOfDay = false,
): string {
  if (typeof value !== 'string' || !isWallTime(value, allowEndOfDay)) {
    const range = allowEndOfDay ? '00:00–24:00' : '00:00–23:59';
    throw invalid(scope, field, `a 24-hour time "HH:MM" (${range}), e.g. "09:30"`, value);
  }
  return value;
}

const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days in `month` (1–12) of `year`, Gregorian leap rules. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** True when `year-month-day` exists in the proleptic Gregorian calendar. */
export function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}

/** A calendar date `"YYYY-MM-DD"` that exists (no February 30th). */
export function readLocalDate(value: unknown, scope: InputScope, field: string): string {
  if (typeof value === 'string') {
    const match = LOCAL_DATE.exec(value);
    if (match !== null && isRealDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
      return value;
    }
  }
  throw invalid(scope, field, 'an existing date "YYYY-MM-DD", e.g. "2026-12-25"', value);
}

/** Most items accepted in one list of an input (slot ids, slots, holidays). */
export const MAX_LIST_LENGTH = 1000;

/** `value` as an array of at most {@link MAX_LIST_LENGTH} items, or a ValidationError. */
export function readList(
  value: unknown,
  scope: InputScope,
  field: string,
  what: string,
): readonly unknown[] {
  if (!Array.isArray(value) || value.length > MAX_LIST_LENGTH) {
    throw invalid(scope, field, `an array of at most ${MAX_LIST_LENGTH} ${what}`, value);
  }
  return value;
}

/**
 * A JSON object, copied and deeply frozen. Payloads travel through the event log, so anything
 * JSON cannot carry faithfully (functions, Dates, NaN, cycles, class instances) is refused
 * here rather than silently changed on the way through a store, and so is data beyond
 * `JSON_LIMITS` (validateJson.ts) or with a prototype key.
 */
export function readJsonObject(
  value: unknown,
  scope: InputScope,
  field: string,
): Readonly<Record<string, unknown>> {
  readRecord(value, scope, field);
  return deepFreeze(copyJson(value, scope, field) as Record<string, unknown>);
}
