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

/** Keys that reach an object's prototype machinery when code merges or assigns by key. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
]);

/**
 * Builds the error for a prototype key (`__proto__`, `constructor`, `prototype`). Such a key
 * in JSON input (`JSON.parse` makes it an own key) would, once copied by assignment, change
 * the copy's prototype instead of adding data: invisible in the log, yet visible through the
 * returned value. It is refused rather than dropped, so what is stored is what was given.
 */
export function prototypeKey(scope: InputScope, key: string): ValidationError {
  const path = fieldPath(scope, key);
  return new ValidationError(
    scope.code,
    path,
    `${scope.subject}: ${path} uses the reserved key ${JSON.stringify(key)}, which could change an object's prototype; rename the key.`,
  );
}

/** Edit distance of two short names (Levenshtein), stopping early once above `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current.push(value);
      if (value < best) best = value;
    }
    if (best > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The known name `name` most probably meant: same letters in another case (`graceMS` →
 * `graceMs`), or at most two edits away (`hanlder` → `handler`); `undefined` when none is
 * that close, so a suggestion is only made when it is likely right.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  if (name.length > 100) return undefined;
  const lower = name.toLowerCase();
  const sameLetters = known.find((k) => k.toLowerCase() === lower);
  if (sameLetters !== undefined) return sameLetters;
  const limit = name.length <= 3 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const d = distance(lower, candidate.toLowerCase(), limit);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Builds the error for a key the reader does not know (a typo such as `prefferedSlots` or a
 * weekday spelt `monday`), suggesting the nearest known key and listing the accepted ones.
 */
export function unknownKey(
  scope: InputScope,
  key: string,
  what: string,
  known: readonly string[],
): ValidationError {
  if (PROTOTYPE_KEYS.has(key)) return prototypeKey(scope, key);
  // A key is user text: shown escaped and cut short, so a hostile key cannot flood a log.
  const shown = JSON.stringify(key.length > MAX_SHOWN ? `${key.slice(0, MAX_SHOWN)}…` : key);
  const path = fieldPath(scope, key);
  const near = closestName(key, known);
  const hint = near === undefined ? '' : ` (did you mean "${near}"?)`;
  return new ValidationError(
    scope.code,
    path.length > MAX_SHOWN * 2 ? fieldPath(scope, '…') : path,
    `${scope.subject}: ${fieldPath(scope, shown.slice(1, -1))} is not ${what}${hint}; use one of: ${known.join(', ')}.`,
  );
}
