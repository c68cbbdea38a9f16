import type { ValidationError } from './errors.js';
import {
  type InputScope,
  invalid,
  nestedScope,
  PROTOTYPE_KEYS,
  prototypeKey,
} from './validationFailure.js';

/**
 * Limits on free-form JSON data a user hands in (a task's `payload`). The data is stored in
 * every `task.defined` / `task.updated` entry, hashed, folded on every start and handed to
 * handlers, so a 50 MB string or a 5 000-deep array would cost every reader of the log, and
 * recursion over such a value could overflow the stack. Both limits are checked while the
 * value is copied, without recursion.
 */
export const JSON_LIMITS = Object.freeze({
  /** Deepest nesting of arrays and objects (the payload object itself is depth 1). */
  maxDepth: 32,
  /** Longest `JSON.stringify` text of the whole value, in UTF-16 code units (256 KiB). */
  maxLength: 262_144,
});

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A container still to be copied: where it came from, where it goes, and where it sits. */
type Frame = Readonly<{
  source: readonly unknown[] | Readonly<Record<string, unknown>>;
  target: unknown[] | Record<string, unknown>;
  depth: number;
  path: string;
}>;

const DATA = 'JSON data (objects, arrays, strings, finite numbers, booleans, null)';

/**
 * Copies JSON data into fresh plain objects and arrays, refusing what JSON cannot carry
 * faithfully (functions, Dates, class instances, NaN, undefined, holes), prototype keys, and
 * values beyond {@link JSON_LIMITS}. Iterative: an explicit stack, so depth is bounded by the
 * limit, not by the call stack. Keys keep their order.
 */
export function copyJson(value: unknown, scope: InputScope, field: string): unknown {
  const root = nestedScope(scope, field);
  let length = 0;
  const tooLong = (at: string, got: unknown): ValidationError =>
    invalid(
      root,
      at,
      `JSON data of at most ${JSON_LIMITS.maxLength} characters when serialised (the payload limit)`,
      got,
    );
  const add = (chars: number, at: string, got: unknown): void => {
    length += chars;
    if (length > JSON_LIMITS.maxLength) throw tooLong(at, got);
  };
  /** True when `item` is a leaf (its own copy), counted; false for a container to open. */
  const leaf = (item: unknown, at: string): boolean => {
    if (item === null) {
      add(4, at, item);
      return true;
    }
    switch (typeof item) {
      case 'boolean':
        add(item ? 4 : 5, at, item);
        return true;
      case 'number':
        if (!Number.isFinite(item)) throw invalid(root, at, 'a finite JSON number', item);
        add(String(item).length, at, item);
        return true;
      case 'string':
        // Checked before serialising, so a huge string is refused without copying it.
        if (item.length > JSON_LIMITS.maxLength)
          throw tooLong(at, `a string of ${item.length} characters`);
        add(JSON.stringify(item).length, at, `a string of ${item.length} characters`);
        return true;
      case 'object':
        if (Array.isArray(item) || isPlainObject(item)) return false;
        throw invalid(root, at, DATA, item);
      default:
        throw invalid(root, at, DATA, item);
    }
  };
  const stack: Frame[] = [];
  /** Starts the copy of a container at `at`; its children are filled when its frame is popped. */
  const open = (item: unknown, depth: number, at: string): unknown[] | Record<string, unknown> => {
    if (depth > JSON_LIMITS.maxDepth) {
      throw invalid(
        root,
        at,
        `JSON nested at most ${JSON_LIMITS.maxDepth} levels deep`,
        'deeper data',
      );
    }
    add(2, at, item);
    const source = item as readonly unknown[] | Readonly<Record<string, unknown>>;
    const target: unknown[] | Record<string, unknown> = Array.isArray(source)
      ? new Array(source.length)
      : {};
    stack.push({ source, target, depth, path: at });
    return target;
  };
  if (leaf(value, '')) return value;
  const copy = open(value, 1, '');
  while (stack.length > 0) {
    const { source, target, depth, path } = stack.pop()!;
    if (Array.isArray(source)) {
      const out = target as unknown[];
      if (source.length > 0) add(source.length - 1, path, source);
      for (let i = 0; i < source.length; i++) {
        const at = `${path}[${i}]`;
        const item: unknown = source[i];
        out[i] = leaf(item, at) ? item : open(item, depth + 1, at);
      }
      continue;
    }
    const out = target as Record<string, unknown>;
    const record = source as Readonly<Record<string, unknown>>;
    const keys = Object.keys(record);
    if (keys.length > 0) add(keys.length - 1, path, record);
    for (const key of keys) {
      const at = path === '' ? key : `${path}.${key}`;
      if (PROTOTYPE_KEYS.has(key)) throw prototypeKey(root, at);
      if (key.length > JSON_LIMITS.maxLength)
        throw tooLong(path, `a key of ${key.length} characters`);
      add(JSON.stringify(key).length + 1, at, key);
      const item = record[key];
      // Assigned in key order now; a container's own children are filled when it is popped.
      out[key] = leaf(item, at) ? item : open(item, depth + 1, at);
    }
  }
  return copy;
}
