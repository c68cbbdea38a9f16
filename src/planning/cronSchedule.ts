import { Cron } from 'croner';

/** Most runs computed ahead at once; later queries in that range are a binary search. */
const CHUNK = 32;
/** Runs appended to find one answer before the segment starts over at the query instead. */
const MAX_WALK = 64;
/** Longest run list kept per schedule before it starts over. */
const MAX_RUNS = 4096;
/** Distinct (expression, zone) pairs kept; a task set rarely has more than a handful. */
const MAX_SCHEDULES = 1000;

/**
 * The due times of one cron expression in one zone, evaluated by croner. croner takes tens
 * of microseconds per `nextRun`, and the runtime asks for the same expressions again and
 * again (many tasks share "30 9 * * 1-5"), so computed runs are kept as one sorted, gap-free
 * segment: every run between `coveredFrom` and the last entry is known.
 */
class CronSchedule {
  readonly #cron: Cron;
  #coveredFrom = Number.POSITIVE_INFINITY;
  #runs: number[] = [];

  constructor(expression: string, timeZone: string) {
    this.#cron = new Cron(expression, { mode: '5-or-6-parts', timezone: timeZone });
  }

  /** The first run strictly after `fromMs`, or `undefined` when there is none. */
  nextAfter(fromMs: number): number | undefined {
    const runs = this.#runs;
    const last = runs[runs.length - 1];
    if (last === undefined || fromMs < this.#coveredFrom || runs.length >= MAX_RUNS) {
      this.#coveredFrom = fromMs;
      this.#runs = [];
      return this.#extendPast(fromMs);
    }
    if (fromMs < last) return this.#firstAfter(fromMs);
    return this.#extendPast(fromMs);
  }

  /**
   * Appends runs until one lies after `fromMs` (starting over at `fromMs` if that is far).
   * A fresh segment computes just the answer, so scattered queries cost one croner call; a
   * segment that keeps being extended is walking forward, so it reads ahead as much again as
   * it holds (up to CHUNK) and the following queries become lookups.
   */
  #extendPast(fromMs: number): number | undefined {
    const sequential = this.#runs.length > 0;
    for (let added = 0; added < MAX_WALK; added += 1) {
      const last = this.#runs[this.#runs.length - 1];
      const next = this.#cron.nextRun(new Date(last ?? this.#coveredFrom));
      if (next === null) return undefined;
      this.#runs.push(next.getTime());
      if (next.getTime() > fromMs) {
        if (sequential) this.#fill(Math.min(this.#runs.length, CHUNK));
        return next.getTime();
      }
    }
    this.#coveredFrom = fromMs;
    this.#runs = [];
    return this.#extendPast(fromMs);
  }

  #fill(count: number): void {
    for (let i = 0; i < count; i += 1) {
      const last = this.#runs[this.#runs.length - 1];
      if (last === undefined) return;
      const next = this.#cron.nextRun(new Date(last));
      if (next === null) return;
      this.#runs.push(next.getTime());
    }
  }

  #firstAfter(fromMs: number): number | undefined {
    let lo = 0;
    let hi = this.#runs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#runs[mid] as number) > fromMs) hi = mid;
      else lo = mid + 1;
    }
    return this.#runs[lo];
  }
}

const schedules = new Map<string, CronSchedule>();

/**
 * The first due time of `expression` in `timeZone` strictly after `fromMs`, or `undefined`
 * when the expression has no further run. DST follows croner: a fixed time that falls in a
 * spring-forward gap runs when the clock has jumped (02:30 → 03:00), a fixed time that
 * happens twice runs once, at its first occurrence.
 */
export function nextCronRun(
  expression: string,
  timeZone: string,
  fromMs: number,
): number | undefined {
  const key = `${timeZone}\u0000${expression}`;
  let schedule = schedules.get(key);
  if (schedule === undefined) {
    if (schedules.size >= MAX_SCHEDULES) schedules.clear();
    schedule = new CronSchedule(expression, timeZone);
    schedules.set(key, schedule);
  }
  return schedule.nextAfter(fromMs);
}
