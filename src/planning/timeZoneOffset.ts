import { DAY_MS, daysFromCivil } from './civilDate.js';

const HOUR_MS = 3_600_000;
/** Marks a day or hour in which the offset changes: its instants are looked up finer. */
const VARIES = Number.NaN;
/** Bounds each memo; a planning run touches a few thousand days at most. */
const MEMO_LIMIT = 50_000;

type ZoneMemo = {
  formatter: Intl.DateTimeFormat;
  /** Offset at 00:00 UTC of a day number. */
  boundaries: Map<number, number>;
  /** Offset of a whole UTC day, or VARIES. */
  days: Map<number, number>;
  /** Offset of a whole UTC hour inside a varying day, or VARIES. */
  hours: Map<number, number>;
};

const zones = new Map<string, ZoneMemo>();

function memoFor(timeZone: string): ZoneMemo {
  let memo = zones.get(timeZone);
  if (memo === undefined) {
    memo = {
      formatter: new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      }),
      boundaries: new Map(),
      days: new Map(),
      hours: new Map(),
    };
    zones.set(timeZone, memo);
  }
  return memo;
}

/** `"3/29/2026, 03:30:00"`: what the en-US formatter prints for years 1–9999. */
const PRINTED = /^(\d+)\/(\d+)\/(\d+), (\d+):(\d+):(\d+)$/;

/**
 * The zone's UTC offset at `ms`, read from Intl. `format` plus a regex is about four times
 * faster than `formatToParts`; the latter remains the fallback for anything unusual.
 */
function exactOffsetMs(ms: number, memo: ZoneMemo): number {
  const wholeSecond = Math.floor(ms / 1000) * 1000;
  const m = PRINTED.exec(memo.formatter.format(wholeSecond));
  let fields: number[];
  if (m !== null) {
    fields = [m[3], m[1], m[2], m[4], m[5], m[6]].map(Number);
  } else {
    const parts = memo.formatter.formatToParts(wholeSecond);
    const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
    fields = [get('year'), get('month'), get('day'), get('hour'), get('minute'), get('second')];
  }
  const [year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0] = fields;
  return (
    daysFromCivil(year, month, day) * DAY_MS +
    ((hour * 60 + minute) * 60 + second) * 1000 -
    wholeSecond
  );
}

function remember(map: Map<number, number>, key: number, value: number): number {
  if (map.size >= MEMO_LIMIT) map.clear();
  map.set(key, value);
  return value;
}

function boundaryOffset(day: number, memo: ZoneMemo): number {
  return (
    memo.boundaries.get(day) ?? remember(memo.boundaries, day, exactOffsetMs(day * DAY_MS, memo))
  );
}

/**
 * The offset (local minus UTC, in ms) of `timeZone` at instant `ms`. Memoised in two levels:
 * when a UTC day starts and ends with the same offset the whole day has it (zones change
 * offset at most once a day), so a lookup is usually one Map read and Intl runs about once
 * per day touched; only the hours around an actual change are resolved finer.
 */
export function offsetMs(ms: number, timeZone: string): number {
  const memo = memoFor(timeZone);
  const day = Math.floor(ms / DAY_MS);
  let whole = memo.days.get(day);
  if (whole === undefined) {
    const start = boundaryOffset(day, memo);
    whole = remember(memo.days, day, start === boundaryOffset(day + 1, memo) ? start : VARIES);
  }
  if (!Number.isNaN(whole)) return whole;
  const hour = Math.floor(ms / HOUR_MS);
  let known = memo.hours.get(hour);
  if (known === undefined) {
    const start = exactOffsetMs(hour * HOUR_MS, memo);
    const end = exactOffsetMs(hour * HOUR_MS + HOUR_MS - 1, memo);
    known = remember(memo.hours, hour, start === end ? start : VARIES);
  }
  return Number.isNaN(known) ? exactOffsetMs(ms, memo) : known;
}
