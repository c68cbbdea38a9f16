/**
 * Values a handler might throw that break naive error handling: getters that throw, proxies,
 * primitives that are not strings, cycles, huge texts. Each is built fresh by its factory so
 * a test cannot be fooled by a value some earlier test already touched.
 */

/** 10 MB of text (10 × 2^20 UTF-16 code units). */
export const TEN_MB = 10 * 1024 * 1024;

const boom = (): never => {
  throw new Error('getter says no');
};

/** A Proxy whose every trap throws. */
function hostileProxy(): object {
  const handler: ProxyHandler<object> = new Proxy(
    {},
    {
      get: () => () => {
        throw new Error('trap says no');
      },
    },
  );
  return new Proxy({}, handler);
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

function errorWithGetter(key: 'name' | 'message' | 'stack' | 'cause'): Error {
  const error = new Error('with a hostile getter');
  Object.defineProperty(error, key, { get: boom, configurable: true });
  return error;
}

function cyclic(): object {
  const value: { self?: unknown; list: unknown[] } = { list: [] };
  value.self = value;
  value.list.push(value);
  return value;
}

function cyclicCause(): Error {
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  (a as { cause?: unknown }).cause = b;
  return a;
}

/** Named factories of hostile thrown values, in a fixed order. */
export const hostileValues: ReadonlyArray<readonly [string, () => unknown]> = [
  ['throwing name getter', () => errorWithGetter('name')],
  ['throwing message getter', () => errorWithGetter('message')],
  ['throwing stack getter', () => errorWithGetter('stack')],
  ['throwing cause getter', () => errorWithGetter('cause')],
  ['proxy whose every trap throws', hostileProxy],
  ['revoked proxy', revokedProxy],
  ['symbol', () => Symbol('thrown')],
  ['BigInt', () => 10n ** 30n],
  ['undefined', () => undefined],
  ['null', () => null],
  ['cyclic object', cyclic],
  ['cyclic cause chain', cyclicCause],
  [
    'object whose toString, toJSON and Symbol.toPrimitive throw',
    () => ({ toString: boom, toJSON: boom, [Symbol.toPrimitive]: boom }),
  ],
  ['10 MB message', () => new Error('x'.repeat(TEN_MB))],
  ['10 MB string', () => 'y'.repeat(TEN_MB)],
  ['10 MB name', () => Object.assign(new Error('long name'), { name: 'N'.repeat(TEN_MB) })],
  ['error whose name is not a string', () => Object.assign(new Error('odd'), { name: 42 })],
  ['AggregateError', () => new AggregateError([new Error('one'), 'two'], 'all failed')],
  ['function', () => () => 'thrown function'],
  ['object with a BigInt field', () => ({ amount: 1n })],
];
