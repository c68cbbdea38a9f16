import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import type { CalendarConfig, Occurrence, Task } from '../../src/domain/types.js';
import { WEEKDAYS } from '../../src/domain/types.js';
import { parseCalendar } from '../../src/domain/validateCalendar.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { minutesToWallTime } from '../../src/domain/wallTime.js';
import { occupancyOf } from '../../src/planning/CalendarOccupancy.js';
import { DefaultCalendarPlanner } from '../../src/planning/DefaultCalendarPlanner.js';
import { DefaultRecoveryService } from '../../src/planning/DefaultRecoveryService.js';
import { DefaultTaskScheduler } from '../../src/planning/DefaultTaskScheduler.js';
import type { PlanningContext } from '../../src/planning/ports.js';

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata'];
/** Days around the 2026 DST changes of those zones, and a quiet one. */
const ANCHORS = [
  '2026-03-08',
  '2026-03-29',
  '2026-04-05',
  '2026-06-15',
  '2026-10-04',
  '2026-10-25',
  '2026-11-01',
].map((d) => Date.parse(`${d}T00:00:00Z`));
const SLOT_IDS = ['a', 'b', 'c', 'd', 'e'];
const runs = { numRuns: Number(process.env.PF_RUNS ?? 150) };

const oracles = new Map<string, Intl.DateTimeFormat>();

/** What the zone's wall clock shows, read by Intl directly — an oracle independent of the planners. */
function wallClock(ms: number, timeZone: string) {
  let formatter = oracles.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    oracles.set(timeZone, formatter);
  }
  const parts = formatter.formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    date: `${get('year')}-${get('month')}-${get('day')}`,
    weekday: get('weekday').toLowerCase().slice(0, 3),
    msOfDay:
      ((Number(get('hour')) * 60 + Number(get('minute'))) * 60 + Number(get('second'))) * 1000 +
      (ms % 1000),
  };
}

const calendarArb = fc
  .record({
    timeZone: fc.constantFrom(...ZONES),
    slots: fc.uniqueArray(
      fc.record({ id: fc.constantFrom(...SLOT_IDS), minute: fc.integer({ min: 0, max: 1439 }) }),
      { selector: (s) => s.id, maxLength: 5 },
    ),
    days: fc.array(
      fc.option(
        fc.record({
          start: fc.integer({ min: 0, max: 1380 }),
          length: fc.integer({ min: 30, max: 1440 }),
          restrict: fc.boolean(),
        }),
      ),
      { minLength: 7, maxLength: 7 },
    ),
    maxPerDay: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    holidayOffsets: fc.array(fc.integer({ min: -2, max: 9 }), { maxLength: 2 }),
  })
  .map(({ timeZone, slots, days, maxPerDay, holidayOffsets }) => {
    const workingHours: Record<string, unknown> = {};
    days.forEach((day, i) => {
      if (day === null) return;
      const end = Math.min(day.start + day.length, 1440);
      const inside = slots.filter((s) => s.minute >= day.start && s.minute < end).map((s) => s.id);
      workingHours[WEEKDAYS[i] as string] = {
        start: minutesToWallTime(day.start),
        end: minutesToWallTime(end),
        ...(day.restrict ? { slots: inside } : {}),
      };
    });
    return parseCalendar({
      timeZone,
      workingHours,
      slots: slots.map((s) => ({ id: s.id, start: minutesToWallTime(s.minute) })),
      ...(maxPerDay === undefined ? {} : { maxPerDay }),
      holidays: holidayOffsets.map((o) =>
        new Date((ANCHORS[1] as number) + o * 86_400_000).toISOString().slice(0, 10),
      ),
    });
  });

const instantArb = fc
  .tuple(
    fc.constantFrom(...ANCHORS),
    fc.integer({ min: -3 * 1440, max: 3 * 1440 }),
    fc.integer({ min: 0, max: 59_999 }),
  )
  .map(([anchor, minutes, ms]) => anchor + minutes * 60_000 + (ms % 3 === 0 ? 0 : ms));

/** Existing occurrences, on whole minutes near `from` so they collide with candidates. */
const occupantsArb = fc.array(
  fc.tuple(fc.integer({ min: -1440, max: 10 * 1440 }), fc.constantFrom(0, 15, 30)),
  { maxLength: 25 },
);

function occupants(fromMs: number, spec: [number, number][]): Occurrence[] {
  return spec.map(([minutes, snap], i) => {
    const at = Math.floor((fromMs + minutes * 60_000) / 3_600_000) * 3_600_000 + snap * 60_000;
    return makeOccurrence({ taskId: `busy${i}`, cause: 'initial', scheduledFor: new Date(at) });
  });
}

const taskArb = fc
  .record({
    recurrence: fc.oneof(
      fc
        .constantFrom('30 9 * * 1-5', '0 * * * *', '*/20 8-18 * * *', '15 2 * * *', '0 0 1 * *')
        .map((cron) => ({ cron })),
      fc.integer({ min: 60_000, max: 3 * 86_400_000 }).map((everyMs) => ({ everyMs })),
    ),
    priority: fc.constantFrom('low', 'medium', 'high'),
    preferredSlots: fc.subarray(SLOT_IDS),
    maxRetries: fc.integer({ min: 0, max: 3 }),
    delayMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 * 86_400_000 })),
    backoff: fc.constantFrom('fixed', 'exponential'),
  })
  .map((t) => ({
    id: 'task',
    title: 'Task',
    createdAt: '2026-01-01T00:00:00Z',
    recurrence: t.recurrence,
    priority: t.priority,
    preferredSlots: t.preferredSlots,
    retry: { maxRetries: t.maxRetries, delayMs: t.delayMs, backoff: t.backoff },
  }));

function taskFor(input: Record<string, unknown>, calendar: CalendarConfig): Task {
  const known = new Set(calendar.slots.map((s) => s.id));
  const preferredSlots = (input.preferredSlots as string[]).filter((id) => known.has(id));
  return parseTask({ ...input, preferredSlots }, calendar);
}

/** Checks a planned instant against the calendar with the Intl oracle. */
function expectFits(
  atMs: number,
  calendar: CalendarConfig,
  others: readonly Occurrence[],
  slotName?: string,
) {
  const local = wallClock(atMs, calendar.timeZone);
  const hours = calendar.workingHours[local.weekday as keyof typeof calendar.workingHours];
  expect(hours, `${new Date(atMs).toISOString()} falls on a working day`).toBeDefined();
  if (hours === undefined) return;
  expect(calendar.holidays ?? []).not.toContain(local.date);
  const toMs = (t: string) => (Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5))) * 60_000;
  expect(local.msOfDay).toBeGreaterThanOrEqual(toMs(hours.start));
  expect(local.msOfDay).toBeLessThan(toMs(hours.end));
  if (hours.slots !== undefined) expect(hours.slots).toContain(slotName);
  expect(others.some((o) => Date.parse(o.scheduledFor) === atMs)).toBe(false);
  if (calendar.maxPerDay !== undefined) {
    // An occurrence listed twice (same id) holds one place, as the planners count it.
    const sameDay = new Set(
      others
        .filter((o) => wallClock(Date.parse(o.scheduledFor), calendar.timeZone).date === local.date)
        .map((o) => o.id),
    );
    expect(sameDay.size).toBeLessThan(calendar.maxPerDay);
  }
}

const planner = new DefaultCalendarPlanner();
const scheduler = new DefaultTaskScheduler();

describe('planner properties', () => {
  /** Guards against vacuous passes: enough generated cases must actually plan something. */
  let planned = 0;
  beforeEach(() => {
    planned = 0;
  });
  afterEach(() => {
    expect(planned).toBeGreaterThan(runs.numRuns / 5);
  });

  it('nextAvailableSlot never returns a time outside working hours, over the cap, taken, or at/before after', () => {
    fc.assert(
      fc.property(
        calendarArb,
        instantArb,
        occupantsArb,
        fc.constantFrom('low', 'medium', 'high'),
        (calendar, fromMs, spec, priority) => {
          const others = Object.freeze(occupants(fromMs, spec));
          const ctx: PlanningContext = Object.freeze({
            calendar,
            occupancy: occupancyOf(others, calendar),
          });
          const found = planner.nextAvailableSlot(new Date(fromMs), ctx, {
            priority,
            preferredSlots: ['b', 'a'],
          });
          if (found === undefined) return;
          planned += 1;
          const atMs = Date.parse(found.at);
          expect(atMs).toBeGreaterThan(fromMs);
          expect(atMs).toBeLessThanOrEqual(fromMs + 14 * 86_400_000);
          expect(planner.isSlotAvailable(new Date(atMs), ctx)).toBe(true);
          expectFits(atMs, calendar, others, found.slotName);
        },
      ),
      runs,
    );
  });

  it('nextOccurrence and retryOccurrence only plan valid places strictly after from, mutating nothing', () => {
    fc.assert(
      fc.property(
        calendarArb,
        instantArb,
        occupantsArb,
        taskArb,
        (calendar, fromMs, spec, taskInput) => {
          const task = taskFor(taskInput, calendar);
          const others = Object.freeze(occupants(fromMs, spec));
          const before = JSON.stringify({ task, others, calendar });
          const ctx: PlanningContext = Object.freeze({
            calendar,
            occupancy: occupancyOf(others, calendar),
          });
          const next = scheduler.nextOccurrence(task, new Date(fromMs), ctx);
          if (next !== undefined) {
            planned += 1;
            expect(Date.parse(next.scheduledFor)).toBeGreaterThan(fromMs);
            expectFits(Date.parse(next.scheduledFor), calendar, others, next.slotName);
            expect(Object.isFrozen(next)).toBe(true);
          }
          const failed =
            next ??
            makeOccurrence({ taskId: task.id, cause: 'initial', scheduledFor: new Date(fromMs) });
          const retry = scheduler.retryOccurrence(failed, task, new Date(fromMs), ctx);
          if (retry !== undefined) {
            expect(retry.attempt).toBe(failed.attempt + 1);
            expect(retry.attempt).toBeLessThanOrEqual(task.retry.maxRetries);
            expect(Date.parse(retry.scheduledFor)).toBeGreaterThanOrEqual(
              fromMs + task.retry.delayMs,
            );
            expectFits(Date.parse(retry.scheduledFor), calendar, others, retry.slotName);
          }
          expect(JSON.stringify({ task, others, calendar })).toBe(before);
        },
      ),
      runs,
    );
  });

  it('recoverMissed returns at most one new occurrence per missed one, none colliding or over the cap', () => {
    fc.assert(
      fc.property(
        calendarArb,
        instantArb,
        occupantsArb,
        taskArb,
        (calendar, nowMs, spec, taskInput) => {
          const task = taskFor(taskInput, calendar);
          const existing = occupants(nowMs, spec).map((o, i) =>
            i % 2 === 0
              ? makeOccurrence({
                  taskId: task.id,
                  cause: 'recurrence',
                  scheduledFor: o.scheduledFor,
                })
              : o,
          );
          const occurrences = Object.freeze(existing);
          const before = JSON.stringify(occurrences);
          const ctx = Object.freeze({ calendar, occupancy: occupancyOf(occurrences, calendar) });
          const created = new DefaultRecoveryService().recoverMissed({
            executions: new Map(),
            occurrences,
            tasks: new Map([[task.id, task]]),
            now: new Date(nowMs),
            ctx,
          });
          const parents = created.map((o) => o.parentId);
          expect(new Set(parents).size).toBe(parents.length);
          planned += created.length;
          const placed: Occurrence[] = [...occurrences];
          for (const o of created) {
            // A retry with no delay may run right now; a replacement recurrence lies ahead.
            if (o.cause === 'retry') {
              expect(Date.parse(o.scheduledFor)).toBeGreaterThanOrEqual(nowMs + task.retry.delayMs);
            } else {
              expect(o.cause).toBe('recovery');
              expect(Date.parse(o.scheduledFor)).toBeGreaterThan(nowMs);
            }
            expectFits(Date.parse(o.scheduledFor), calendar, placed, o.slotName);
            placed.push(o);
          }
          expect(JSON.stringify(occurrences)).toBe(before);
        },
      ),
      runs,
    );
  });
});
