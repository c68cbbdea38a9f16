import type { InputRecord } from './validateFields.js';
import { type InputScope, PROTOTYPE_KEYS, prototypeKey, unknownKey } from './validationFailure.js';

/**
 * How one field of an input is read: `read` checks the raw value (`undefined` when the key is
 * absent) and returns what the domain value holds, or throws a ValidationError naming the
 * field. `In` is the input type the rule accepts; it exists for the type checker only.
 */
export type FieldRule<In, Out> = Readonly<{
  read: (value: unknown, scope: InputScope, field: string) => Out;
  /**
   * Never set. Declares the input type the rule accepts, invariantly (a function both
   * takes and returns it), so a rule for `number` does not fit a field typed `string` or
   * `number | undefined`: optionality must be stated with {@link optional}.
   */
  readonly accepts?: (input: In) => In;
}>;

/**
 * One rule per key of the input type `In`, each producing the matching field of `Out`.
 * `-?` makes every key required here, so adding a field to the input type without a rule is
 * a type error, and an object literal with a rule for a key the type lacks is one too. The
 * runtime refuses unknown keys from the same table, so type and validation cannot drift.
 */
export type FieldTable<In, Out> = {
  readonly [K in keyof In]-?: FieldRule<In[K], K extends keyof Out ? Out[K] | undefined : never>;
};

/** A table ready to read records: its rules, with its keys listed once. */
export type FieldSchema<In, Out> = Readonly<{
  table: FieldTable<In, Out>;
  keys: readonly string[];
}>;

/** A rule for a required field, typed by what it accepts (`In`) and returns (`Out`). */
export function rule<In, Out = In>(
  read: (value: unknown, scope: InputScope, field: string) => Out,
): FieldRule<In, Out> {
  return { read };
}

/** The same rule for an optional field: an absent (undefined) value stays absent. */
export function optional<In, Out>(
  inner: FieldRule<In, Out>,
): FieldRule<In | undefined, Out | undefined> {
  const read = inner.read;
  return {
    read: (value, scope, field) => (value === undefined ? undefined : read(value, scope, field)),
  };
}

/** An optional field with a default: an absent value becomes `fallback`. */
export function withDefault<In, Out>(
  inner: FieldRule<In, Out>,
  fallback: Out,
): FieldRule<In | undefined, Out> {
  const read = inner.read;
  return {
    read: (value, scope, field) => (value === undefined ? fallback : read(value, scope, field)),
  };
}

/** Lists a table's keys once, so reading a record does not enumerate the table each time. */
export function defineFields<In, Out>(table: FieldTable<In, Out>): FieldSchema<In, Out> {
  return Object.freeze({ table, keys: Object.freeze(Object.keys(table)) });
}

/** The fields of `Out` as read: only those a rule returned a value for. */
export type ReadFields<Out> = { -readonly [K in keyof Out]?: Out[K] };

/**
 * Refuses keys `schema` does not know (a prototype key gets its own message), then reads
 * every field with its rule in table order. Fields whose rule returned `undefined` are left
 * out, so the result never holds an `undefined` value.
 */
export function readFields<In, Out>(
  schema: FieldSchema<In, Out>,
  record: InputRecord,
  scope: InputScope,
): ReadFields<Out> {
  const { table, keys } = schema;
  for (const key in record) {
    if (!Object.hasOwn(table, key) || PROTOTYPE_KEYS.has(key)) {
      throw PROTOTYPE_KEYS.has(key)
        ? prototypeKey(scope, key)
        : unknownKey(scope, key, 'a known field', keys);
    }
  }
  const out: Record<string, unknown> = {};
  const rules = table as Readonly<Record<string, FieldRule<unknown, unknown>>>;
  for (const key of keys) {
    const value = rules[key]!.read(record[key], scope, key);
    if (value !== undefined) out[key] = value;
  }
  return out as ReadFields<Out>;
}
