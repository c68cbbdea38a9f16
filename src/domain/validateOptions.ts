import type { ValidationError } from './errors.js';
import type { InputRecord } from './validateFields.js';
import { type InputScope, invalid, unknownKey } from './validationFailure.js';

/**
 * The keys of an options type, listed once as an object so that adding an option to the type
 * without listing it here (or the reverse) is a type error: `{ [K in keyof T]-?: true }`.
 */
export type OptionKeys<T> = { readonly [K in keyof T]-?: true };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The scope options of `component` are reported in: `SmartScheduler: options.graceMs …`. */
export function optionsScope(component: string): InputScope {
  return Object.freeze({ code: 'planflow:invalid-options', subject: component, path: 'options' });
}

/**
 * `options` as a plain object whose keys are all in `keys`, or a ValidationError: `null`, an
 * array, a class instance or a misspelt key (`graceMS`, with a did-you-mean) is refused
 * rather than silently ignored. `undefined` reads as `{}`. `path` names a nested options
 * object (`options.writeRetry`) in the messages.
 * @example
 * const record = readOptions('TimerQueue', options, TIMER_QUEUE_KEYS);
 */
export function readOptions<T>(
  component: string,
  options: unknown,
  keys: OptionKeys<T>,
  example = '{}',
  path = 'options',
): InputRecord {
  const scope = { ...optionsScope(component), path };
  if (options === undefined) return {};
  if (!isPlainObject(options)) {
    throw invalid({ ...scope, path: '' }, path, `an object such as ${example}`, options);
  }
  const known = Object.keys(keys);
  for (const key in options) {
    if (!Object.hasOwn(keys, key)) throw unknownKey(scope, key, 'a known option', known);
  }
  return options;
}

/** The error for an option holding the wrong kind of value. */
export function invalidOption(
  component: string,
  field: string,
  expected: string,
  got: unknown,
  hint?: string,
): ValidationError {
  return invalid(optionsScope(component), field, expected, got, hint);
}

/** A function option, or undefined; anything else is refused naming the option. */
export function readFunctionOption<F extends (...args: never[]) => unknown>(
  component: string,
  record: InputRecord,
  field: string,
): F | undefined {
  const value = record[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'function') {
    throw invalidOption(component, field, 'a function', value);
  }
  return value as F;
}

/** An object option with the named methods (a clock, a store, a planner), or undefined. */
export function readPortOption<P>(
  component: string,
  record: InputRecord,
  field: string,
  methods: readonly string[],
): P | undefined {
  const value = record[field];
  if (value === undefined) return undefined;
  const target = value as Record<string, unknown>;
  if (
    typeof value !== 'object' ||
    value === null ||
    methods.some((m) => typeof target[m] !== 'function')
  ) {
    throw invalidOption(
      component,
      field,
      `an object with ${methods.map((m) => `${m}()`).join(', ')}`,
      typeof value === 'object' && value !== null ? describeKeys(value) : value,
    );
  }
  return value as P;
}

function describeKeys(value: object): string {
  const keys = Object.keys(value).slice(0, 5);
  return `an object with keys ${keys.join(', ') || '(none)'}`;
}
