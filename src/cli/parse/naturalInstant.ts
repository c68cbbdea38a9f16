import { createRequire } from 'node:module';
import type * as ChronoEnglish from 'chrono-node/en';
import { offsetMs } from '../../planning/timeZoneOffset.js';
import { zonedInstant } from '../../planning/zonedTime.js';

/** Longest text handed to the parser: real instants in words are a few words long. */
const MAX_LENGTH = 200;

let chrono: typeof ChronoEnglish | undefined;

/**
 * chrono-node's English parser, required on first use: loading it costs about 60 ms, which
 * every other command (and `--at now`, `+15min` or ISO input) should not pay; `require` keeps
 * the flag parsers synchronous.
 */
function english(): typeof ChronoEnglish {
  chrono ??= createRequire(import.meta.url)('chrono-node/en') as typeof ChronoEnglish;
  return chrono;
}

/** 9999-12-31T23:59:59.999Z: ISO-8601's four-digit years. */
const MAX_INSTANT_MS = 253_402_300_799_999;

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Reads an instant in words (`tomorrow 09:00`, `next monday 9am`, `march 30 10:30`,
 * `in 2 hours`) with chrono-node, relative to `nowMs` on the calendar days of `timeZone`, and
 * returns it in epoch ms, or a short reason when the text is not one instant.
 *
 * chrono-node knows fixed offsets but not IANA zones, so it is given the zone's offset at
 * `nowMs` (which makes "today" and "tomorrow" the zone's days), and the wall time it reads
 * is then placed in the zone itself, so a date across a DST change gets that date's offset
 * (a time in a spring-forward gap moves on by the gap's length, as the calendar does).
 * Relative times (`in 2 hours`) and times with their own zone (`9am EST`) keep chrono's
 * instant. The whole text must read as one time of day: `tomorrow` alone is refused (which
 * time?), and so is `tomorrow 9:00 foo` (what is foo?). A time alone (`09:00`) is its next
 * occurrence.
 */
export function readNaturalInstant(text: string, nowMs: number, timeZone: string): number | string {
  if (text.length > MAX_LENGTH) return `at most ${MAX_LENGTH} characters`;
  const reference = { instant: new Date(nowMs), timezone: offsetMs(nowMs, timeZone) / 60_000 };
  const results = english().parse(text, reference, { forwardDate: true });
  const [result] = results;
  if (result === undefined) return 'no date or time could be read in it';
  if (result.index !== 0 || result.text.length !== text.length || results.length > 1) {
    return `only ${JSON.stringify(result.text)} reads as a time`;
  }
  if (result.end !== null && result.end !== undefined) return 'a range; give one instant';
  const start = result.start;
  let ms: number;
  if (start.isCertain('timezoneOffset')) ms = start.date().getTime();
  else if (!start.isCertain('hour')) return 'give the time of day too, e.g. "tomorrow 09:00"';
  else {
    const part = (name: Parameters<typeof start.get>[0]) => start.get(name) ?? 0;
    const date = `${part('year')}-${pad(part('month'))}-${pad(part('day'))}`;
    const wall = `${pad(part('hour'))}:${pad(part('minute'))}`;
    ms = zonedInstant(date, wall, timeZone) + part('second') * 1000 + part('millisecond');
  }
  // Years chrono reads beyond what a Date holds (or beyond 9999) are not instants we store.
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_INSTANT_MS)
    return 'not a date between 1970 and 9999';
  return ms;
}
