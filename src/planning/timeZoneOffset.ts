import { daysFromCivil } from './civilDate.js';

const HOUR_MS = 3_600_000;
/** Marks an hour in which the offset changes: such hours are computed exactly every time. */
const VARIES = Number.NaN;
/** Bounds each zone's hour memo; a planning run touches a few thousand hours at most. */
const HOURS_PER_ZONE = 50_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
const hourMemo = new Map<string, Map<number, number>>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The zone's UTC offset at `ms`, read from Intl (about 3 µs: hence the memo below). */
function exactOffsetMs(ms: number, timeZone: string): number {
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let bc = false;
  for (const part of formatterFor(timeZone).formatToParts(ms)) {
    switch (part.type) {
      case 'year':
        year = Number(part.value);
        break;
      case 'month':
        month = Number(part.value);
        break;
      case 'day':
        day = Number(part.value);
        break;
      case 'hour':
        hour = Number(part.value);
        break;
      case 'minute':
        minute = Number(part.value);
        break;
      case 'second':
        second = Number(part.value);
        break;
      case 'era':
        bc = part.value === 'BC' || part.value === 'B';
        break;
      default:
        break;
    }
  }
  if (bc) year = 1 - year;
  const wallAsUtc =
    daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000;
  const wholeSecond = Math.floor(ms / 1000) * 1000;
  return wallAsUtc - wholeSecond;
}

/**
 * The offset (local minus UTC, in ms) of `timeZone` at instant `ms`. Memoised per UTC hour:
 * when the offsets at both ends of an hour agree, the whole hour has that offset (zones
 * change offset at most once in any hour), so most lookups are a single Map read.
 */
export function offsetMs(ms: number, timeZone: string): number {
  let memo = hourMemo.get(timeZone);
  if (memo === undefined) {
    memo = new Map();
    hourMemo.set(timeZone, memo);
  }
  const hour = Math.floor(ms / HOUR_MS);
  let known = memo.get(hour);
  if (known === undefined) {
    const start = exactOffsetMs(hour * HOUR_MS, timeZone);
    const end = exactOffsetMs(hour * HOUR_MS + HOUR_MS - 1, timeZone);
    known = start === end ? start : VARIES;
    if (memo.size >= HOURS_PER_ZONE) memo.clear();
    memo.set(hour, known);
  }
  return Number.isNaN(known) ? exactOffsetMs(ms, timeZone) : known;
}
