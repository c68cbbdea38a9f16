import type { ErrorRecord } from './types.js';

/** Longest `message` an {@link ErrorRecord} keeps, in UTF-16 code units, marker included. */
export const MAX_ERROR_MESSAGE_LENGTH = 4_096;

/** Longest `name` an {@link ErrorRecord} keeps, in UTF-16 code units, marker included. */
export const MAX_ERROR_NAME_LENGTH = 128;

/** How many `cause` links are followed below the thrown value itself. */
export const MAX_ERROR_CAUSE_DEPTH = 3;

/** Ends a cut `name` or `message`, so a reader of the log sees that text is missing. */
export const TRUNCATION_MARKER = '…[truncated]';

/** The record of a value that could not be read at all (every read of it threw). */
const UNREADABLE: ErrorRecord = Object.freeze({
  name: 'Error',
  message: 'a value was thrown that could not be read',
});

/**
 * Turns anything thrown into a small, plain, JSON-safe record for the log, and never throws
 * itself, whatever it is given: getters that throw, revoked proxies, proxies whose every trap
 * throws, symbols, BigInts, `undefined`, cyclic objects, `toString`/`toJSON`/
 * `Symbol.toPrimitive` that throw, a 10 MB message. Each read of the value is guarded on its
 * own, so one hostile property costs only that property.
 *
 * - An error (or any object with a string `message`) keeps its `name` (when it is a
 *   non-empty string; else `'Error'`) and `message`; a `TimeoutError` is marked `timedOut`.
 * - Anything else is recorded as an `Error` whose message describes the value: a string as
 *   is, an object as JSON where it can be, otherwise as `String(value)`.
 * - `name` and `message` are cut to {@link MAX_ERROR_NAME_LENGTH} and
 *   {@link MAX_ERROR_MESSAGE_LENGTH}, ending in {@link TRUNCATION_MARKER}, with
 *   `truncated: true`.
 * - An error's `cause` is recorded the same way, down to {@link MAX_ERROR_CAUSE_DEPTH} links
 *   (which also ends a cyclic chain). An `AggregateError`'s `errors` are not recorded one by
 *   one; their count is added to its message.
 *
 * The stack is not recorded: the log is durable and hashed, and a stack is neither stable
 * nor small.
 * @example
 * toErrorRecord(new TypeError('bad')); // { name: 'TypeError', message: 'bad' }
 * toErrorRecord(Symbol('x'));          // { name: 'Error', message: 'Symbol(x)' }
 */
export function toErrorRecord(thrown: unknown): ErrorRecord {
  try {
    return record(thrown, 0);
  } catch {
    // Every read below is guarded; this is the net under the net.
    return UNREADABLE;
  }
}

function record(thrown: unknown, depth: number): ErrorRecord {
  if (typeof thrown !== 'object' || thrown === null) {
    return finish('Error', describePrimitive(thrown));
  }
  const errorLike = isErrorLike(thrown);
  if (!errorLike) return finish('Error', describeObject(thrown));
  const rawName = read(thrown, 'name');
  const name = typeof rawName === 'string' && rawName !== '' ? rawName : 'Error';
  const rawMessage = read(thrown, 'message');
  let message =
    typeof rawMessage === 'string'
      ? rawMessage
      : rawMessage === UNREADABLE_PROPERTY
        ? '[the message could not be read]'
        : describeValue(rawMessage);
  if (name === 'AggregateError') {
    const count = countOf(read(thrown, 'errors'));
    if (count !== undefined) message = `${message} (${count} errors)`;
  }
  let cause: ErrorRecord | undefined;
  if (depth < MAX_ERROR_CAUSE_DEPTH && has(thrown, 'cause')) {
    const rawCause = read(thrown, 'cause');
    if (rawCause !== undefined && rawCause !== UNREADABLE_PROPERTY) {
      cause = record(rawCause, depth + 1);
    }
  }
  return finish(name, message, cause);
}

/** Bounds the texts and freezes the record; `timedOut` follows the (uncut) name. */
function finish(name: string, message: string, cause?: ErrorRecord): ErrorRecord {
  const boundedName = bound(name, MAX_ERROR_NAME_LENGTH);
  const boundedMessage = bound(message, MAX_ERROR_MESSAGE_LENGTH);
  const truncated = boundedName !== name || boundedMessage !== message;
  return Object.freeze({
    name: boundedName,
    message: boundedMessage,
    ...(name === 'TimeoutError' ? { timedOut: true } : {}),
    ...(truncated ? { truncated: true as const } : {}),
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Cuts `text` to `max` code units, marker included, without splitting a surrogate pair. */
function bound(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - TRUNCATION_MARKER.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end) + TRUNCATION_MARKER;
}

/**
 * An `Error` (from any realm) or anything shaped like one: an object with a string
 * `message`. `instanceof` itself can throw (a proxy's `getPrototypeOf` trap).
 */
function isErrorLike(value: object): boolean {
  try {
    if (value instanceof Error) return true;
  } catch {
    // fall through to the duck test
  }
  try {
    if (Object.prototype.toString.call(value) === '[object Error]') return true;
  } catch {
    // a proxy whose traps throw
  }
  return typeof read(value, 'message') === 'string';
}

/** What {@link read} answers for a property whose getter (or proxy trap) throws. */
const UNREADABLE_PROPERTY: unique symbol = Symbol('unreadable');

/** `value[key]`, or {@link UNREADABLE_PROPERTY} when reading it throws. */
function read(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return UNREADABLE_PROPERTY;
  }
}

/** The length of an array (a proxy of one may throw on `isArray` or `length`). */
function countOf(value: unknown): number | undefined {
  try {
    return Array.isArray(value) ? value.length : undefined;
  } catch {
    return undefined;
  }
}

/** `key in value`, or `false` when asking throws. */
function has(value: object, key: string): boolean {
  try {
    return key in value;
  } catch {
    return false;
  }
}

/** Text for any value that is not a string message of its own. */
function describeValue(value: unknown): string {
  return typeof value === 'object' && value !== null
    ? describeObject(value)
    : describePrimitive(value);
}

function describePrimitive(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'function') {
    const name = read(value, 'name');
    return typeof name === 'string' && name !== '' ? `[function ${name}]` : '[function]';
  }
  // Numbers, booleans, BigInts, symbols, undefined and null: String() cannot throw on them.
  try {
    return String(value);
  } catch {
    return `[${typeof value}]`;
  }
}

/**
 * JSON where the object allows it (a plain object thrown as an error usually carries its
 * details as fields), else `String(value)`, else its tag. Any of these may throw (a cycle, a
 * BigInt field, a hostile `toJSON` or `toString`); the next one is tried.
 */
function describeObject(value: object): string {
  try {
    const json: unknown = JSON.stringify(value);
    if (typeof json === 'string') return json;
  } catch {
    // cyclic, a BigInt inside, or a getter / toJSON that throws
  }
  try {
    const text: unknown = String(value);
    if (typeof text === 'string') return text;
  } catch {
    // toString or Symbol.toPrimitive throws, or a revoked proxy
  }
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return '[an object that could not be read]';
  }
}
