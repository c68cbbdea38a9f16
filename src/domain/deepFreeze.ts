/**
 * Freezes a freshly built value and everything reachable from it. Validators call this on
 * the copies they construct, so a domain value can be shared between the runtime, the log and
 * the planners without anyone being able to change it under the others.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const key of Object.keys(value)) {
    deepFreeze((value as Record<string, unknown>)[key]);
  }
  return Object.freeze(value);
}
