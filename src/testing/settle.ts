/**
 * The host's `setImmediate`, captured when this module loads so a later
 * `@sinonjs/fake-timers` install (which may fake it) cannot freeze the settling of tests.
 */
const realSetImmediate: ((callback: () => void) => unknown) | undefined =
  typeof globalThis.setImmediate === 'function'
    ? globalThis.setImmediate.bind(globalThis)
    : undefined;

/**
 * Resolves after one macrotask hop, by which time every promise chain already queued (and
 * every microtask those chains queue in turn) has run, however deep. Falls back to a long
 * run of microtask turns where `setImmediate` does not exist.
 */
export function settleMacrotask(): Promise<void> {
  if (realSetImmediate !== undefined) {
    return new Promise((resolve) => {
      realSetImmediate(() => resolve());
    });
  }
  return settleMicrotasks(1_000);
}

/** Resolves after `turns` microtask turns: enough for promise chains of that depth. */
export async function settleMicrotasks(turns = 100): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}
