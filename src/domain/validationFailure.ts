import { ValidationError } from './errors.js';

/** The error codes a validation failure may carry. */
export type ValidationCode = ConstructorParameters<typeof ValidationError>[0];

/**
 * Where a value being validated sits: the error code to raise, the component named at the
 * start of every message (`Task "standup"`, `Calendar`) and the dotted path of the enclosing
 * object. Nested readers extend the path so a message always names the full field.
 */
export type InputScope = Readonly<{ code: ValidationCode; subject: string; path: string }>;

/** The dotted path of `field` inside `scope` (`retry` + `maxRetries` → `retry.maxRetries`). */
export function fieldPath(scope: InputScope, field: string): string {
  if (scope.path === '') return field;
  if (field === '') return scope.path;
  return field.startsWith('[') ? `${scope.path}${field}` : `${scope.path}.${field}`;
}

/** A scope for the object found at `field`, so its own fields are reported with full paths. */
export function nestedScope(scope: InputScope, field: string): InputScope {
  return Object.freeze({ ...scope, path: fieldPath(scope, field) });
}

const MAX_SHOWN = 60;

/**
 * A short, safe rendering of a rejected value for an error message. Never throws, even on
 * cyclic objects or BigInts, because a failing validation must report, not crash.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'function') return 'a function';
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? 'an invalid Date' : `Date ${value.toISOString()}`;
  }
  if (Array.isArray(value)) return `an array of ${value.length} item(s)`;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined) return typeof value === 'object' ? 'an object' : String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

/**
 * Builds the error for a rejected field. The message names the component, the field, what the
 * field must be (which doubles as the fix) and the value that was given:
 * `Task "standup": retry.maxRetries must be an integer ≥ 0, got -1`.
 */
export function invalid(
  scope: InputScope,
  field: string,
  expected: string,
  got: unknown,
  hint?: string,
): ValidationError {
  const path = fieldPath(scope, field);
  const name = path === '' ? 'value' : path;
  const tail = hint === undefined ? '' : ` ${hint}`;
  return new ValidationError(
    scope.code,
    path,
    `${scope.subject}: ${name} must be ${expected}, got ${describeValue(got)}.${tail}`,
  );
}

/**
 * Builds the error for a key the reader does not know (a typo such as `prefferedSlots` or a
 * weekday spelt `monday`), listing the keys that are accepted.
 */
export function unknownKey(
  scope: InputScope,
  key: string,
  what: string,
  known: readonly string[],
): ValidationError {
  const path = fieldPath(scope, key);
  return new ValidationError(
    scope.code,
    path,
    `${scope.subject}: ${path} is not ${what}; use one of: ${known.join(', ')}.`,
  );
}
