import { type InputScope, invalid } from './validationFailure.js';

const canonical = new Map<string, string | null>();
/** Bounds the memo so a stream of garbage names cannot grow it without limit. */
const MEMO_LIMIT = 1024;

/**
 * The canonical spelling of an IANA zone (`america/new_york` → `America/New_York`), or
 * `undefined` when the runtime's time-zone database does not know it. Memoised: building an
 * `Intl.DateTimeFormat` costs tens of microseconds and the same few zones recur.
 */
export function canonicalTimeZone(name: string): string | undefined {
  let known = canonical.get(name);
  if (known === undefined) {
    try {
      known = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    } catch {
      known = null;
    }
    if (canonical.size >= MEMO_LIMIT) canonical.clear();
    canonical.set(name, known);
  }
  return known ?? undefined;
}

/** An IANA time-zone name the runtime knows, in its canonical spelling. */
export function readTimeZone(value: unknown, scope: InputScope, field: string): string {
  // IANA names are short; a long string is refused before the time-zone database sees it.
  const zone =
    typeof value === 'string' && value !== '' && value.length <= 100
      ? canonicalTimeZone(value)
      : undefined;
  if (zone === undefined) {
    throw invalid(scope, field, 'an IANA time zone such as "Europe/Berlin" or "UTC"', value);
  }
  return zone;
}
