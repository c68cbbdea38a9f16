import fc from 'fast-check';
import { expect } from 'vitest';
import { isPlanflowError } from '../../src/domain/errors.js';
import type { SmartScheduler } from '../../src/scheduler/SmartScheduler.js';
import type { Harness } from './harness.js';

/** One seed for every hostile-input suite, so a failure replays exactly. */
export const HOSTILE_SEED = 20_260_302;

function deepArray(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

function deepObject(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;

/** Built once: generating megabytes per run would measure the generator, not the API. */
const HUGE = 'x'.repeat(2 ** 20);

/** Values no API takes where a structured input is expected, plus some that look close. */
const oddities = fc.constantFrom<unknown>(
  null,
  undefined,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -0,
  1.5,
  -1,
  2 ** 53,
  10n,
  Symbol('hostile'),
  () => 1,
  new Date(Number.NaN),
  new Date(0),
  new Map([[1, 2]]),
  /x/,
  '',
  ' padded ',
  'line\nbreak',
  HUGE,
  deepArray(5000),
  deepObject(5000),
  cyclic,
  Object.create(null),
  JSON.parse('{"__proto__":{"polluted":true}}'),
  JSON.parse('{"constructor":{"prototype":{"polluted":true}}}'),
  Object.assign(Object.create({ inherited: true }), { id: 'x' }),
);

/** Anything at all: fast-check's values (with null prototypes, Dates, typed arrays) and oddities. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: oddities },
  {
    weight: 3,
    arbitrary: fc.anything({
      maxDepth: 3,
      withNullPrototype: true,
      withDate: true,
      withBigInt: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withBoxedValues: true,
    }),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.integer() },
);

/**
 * A structured input with one field replaced by a hostile value, one unknown or prototype key
 * added, or a valid value turned into another type: the near misses a caller makes.
 */
export function nearMiss(base: Readonly<Record<string, unknown>>): fc.Arbitrary<unknown> {
  const keys = Object.keys(base);
  return fc.oneof(
    fc
      .record({ key: fc.constantFrom(...keys), value: hostileValue })
      .map(({ key, value }) => ({ ...base, [key]: value })),
    fc
      .record({
        key: fc.oneof(
          fc.constantFrom('__proto__', 'constructor', 'prototype', 'hanlder', 'graceMS', 'ID'),
          fc.string({ minLength: 1, maxLength: 12 }),
        ),
        value: hostileValue,
      })
      .map(({ key, value }) => {
        const copy: Record<string, unknown> = { ...base };
        Object.defineProperty(copy, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        return copy;
      }),
    fc.constantFrom(...keys).map((key) => {
      const copy: Record<string, unknown> = { ...base };
      delete copy[key];
      return copy;
    }),
  );
}

/** Everything a rejected call must leave alone: log head, read model and armed timers. */
export async function snapshot(h: Harness): Promise<unknown> {
  const s: SmartScheduler = h.scheduler;
  return {
    head: await h.store.head(),
    tasks: JSON.stringify(s.listTasks()),
    executions: JSON.stringify((await s.listExecutions()).items),
    calendar: JSON.stringify(s.calendar),
    armed: s.armedCount,
    status: s.status,
  };
}

/**
 * Runs `call`; a throw must be a PlanflowError and leave `h` exactly as it was. Returns
 * whether the call was rejected. An accepted call's result must not carry a prototype key.
 */
export async function expectRejectedOrAccepted(h: Harness, call: () => unknown): Promise<boolean> {
  const before = await snapshot(h);
  let result: unknown;
  try {
    result = await call();
  } catch (error) {
    if (!isPlanflowError(error)) {
      throw new Error(
        `a hostile input escaped as ${String((error as Error)?.name)}: ${String((error as Error)?.message).slice(0, 300)}`,
      );
    }
    expect(await snapshot(h)).toEqual(before);
    return true;
  }
  expect(hasPrototypeKey(result)).toBe(false);
  return false;
}

/** True when `value` (walked without recursion) holds an own `__proto__`/`constructor`/`prototype` key. */
function hasPrototypeKey(value: unknown): boolean {
  const stack: unknown[] = [value];
  const seen = new Set<unknown>();
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item !== 'object' || item === null || seen.has(item)) continue;
    seen.add(item);
    for (const key of Object.keys(item)) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') return true;
      stack.push((item as Record<string, unknown>)[key]);
    }
  }
  return false;
}
