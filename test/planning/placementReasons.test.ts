import { describe, expect, it } from 'vitest';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import type { Occurrence, TaskInput } from '../../src/domain/types.js';
import { parseCalendar } from '../../src/domain/validateCalendar.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { occupancyOf } from '../../src/planning/CalendarOccupancy.js';
import { DefaultTaskScheduler } from '../../src/planning/DefaultTaskScheduler.js';
import { jitterOf } from '../../src/planning/jitter.js';
import type { PlanningContext } from '../../src/planning/ports.js';
import { RejectingPlanner } from '../helpers/collaborators.js';

// When the planner places an occurrence elsewhere than the time its schedule asked for, the
// occurrence says where it was asked for and why (`moved`), one reason per calendar rule.

/** UTC, Monday to Friday 09:00–17:00; Wednesday only at its two slots; Friday 6 March off. */
const calendar = parseCalendar({
  timeZone: 'UTC',
  workingHours: {
    mon: { start: '09:00', end: '17:00' },
    tue: { start: '09:00', end: '17:00' },
    wed: { start: '09:00', end: '17:00', slots: ['morning', 'afternoon'] },
    thu: { start: '09:00', end: '17:00' },
    fri: { start: '09:00', end: '17:00' },
  },
  slots: [
    { id: 'morning', start: '09:30' },
    { id: 'afternoon', start: '14:00' },
  ],
  maxPerDay: 2,
  holidays: ['2026-03-06'],
});
const NOW = new Date('2026-03-01T12:00:00Z'); // a Sunday
const scheduler = new DefaultTaskScheduler();

function ctxWith(...occurrences: Occurrence[]): PlanningContext {
  return { calendar, occupancy: occupancyOf(occurrences, calendar) };
}

function task(input: Partial<TaskInput>) {
  return parseTask({ id: 't', title: 'T', ...input }, calendar, NOW);
}

const at = (iso: string) => new Date(iso).toISOString();
const other = (iso: string) => makeOccurrence({ taskId: 'x', cause: 'initial', scheduledFor: iso });

describe('the placement of an occurrence', () => {
  it('says nothing when the due time fits', () => {
    const first = scheduler.firstOccurrence(
      task({ startAt: '2026-03-02T10:00:00Z' }),
      NOW,
      ctxWith(),
    );
    expect(first).toMatchObject({ scheduledFor: at('2026-03-02T10:00:00Z') });
    expect(first).not.toHaveProperty('moved');
  });

  it.each([
    ['working-hours', '2026-03-02T07:00:00Z', [], '2026-03-02T09:30:00.000Z'],
    ['holiday', '2026-03-06T10:00:00Z', [], '2026-03-09T09:30:00.000Z'],
    ['slot', '2026-03-04T10:00:00Z', [], '2026-03-04T14:00:00.000Z'],
    [
      'cap-per-day',
      '2026-03-02T15:00:00Z',
      ['2026-03-02T09:00:00Z', '2026-03-02T10:00:00Z'],
      '2026-03-03T09:30:00.000Z',
    ],
    ['instant-taken', '2026-03-02T10:00:00Z', ['2026-03-02T10:00:00Z'], '2026-03-02T14:00:00.000Z'],
  ] as const)('names %s as the reason', (reason, requested, taken, placed) => {
    const first = scheduler.firstOccurrence(
      task({ startAt: requested }),
      NOW,
      ctxWith(...taken.map(other)),
    );
    expect(first).toMatchObject({
      scheduledFor: placed,
      moved: { from: at(requested), reason },
    });
  });

  it('names jitter when only the jitter moved it, and the calendar when both did', () => {
    const jitterMs = 30 * 60_000;
    const hourly = task({ recurrence: { cron: '0 10 * * *', timeZone: 'UTC' }, jitterMs });
    const due = Date.parse('2026-03-02T10:00:00Z');
    const first = scheduler.firstOccurrence(hourly, NOW, ctxWith());
    expect(first).toMatchObject({
      scheduledFor: new Date(due + jitterOf('t', due, jitterMs)).toISOString(),
      moved: { from: at('2026-03-02T10:00:00Z'), reason: 'jitter' },
    });

    const evening = task({ recurrence: { cron: '55 16 * * 1', timeZone: 'UTC' }, jitterMs });
    const late = Date.parse('2026-03-02T16:55:00Z');
    expect(jitterOf('t', late, jitterMs)).toBeGreaterThan(5 * 60_000); // past 17:00
    expect(scheduler.firstOccurrence(evening, NOW, ctxWith())?.moved).toEqual({
      from: at('2026-03-02T16:55:00Z'),
      reason: 'working-hours',
    });
  });

  it("names pinned when the task's pinned time takes the place of an earlier due time", () => {
    const pinnedTask = task({
      recurrence: { cron: '0 10 * * *', timeZone: 'UTC' },
      pinnedTime: '2026-03-03T11:00:00Z',
    });
    expect(scheduler.firstOccurrence(pinnedTask, NOW, ctxWith())).toMatchObject({
      scheduledFor: at('2026-03-03T11:00:00Z'),
      moved: { from: at('2026-03-02T10:00:00Z'), reason: 'pinned' },
    });
  });

  it('names calendar for a planner that cannot say why it refused', () => {
    const rejecting = new RejectingPlanner((ms) => ms === Date.parse('2026-03-02T10:00:00Z'));
    const own = new DefaultTaskScheduler({ planner: rejecting });
    const first = own.firstOccurrence(task({ startAt: '2026-03-02T10:00:00Z' }), NOW, ctxWith());
    expect(first?.moved).toEqual({ from: at('2026-03-02T10:00:00Z'), reason: 'calendar' });
  });

  it("keeps the exact time of a task with calendar: 'ignore', whatever the rules", () => {
    const job = task({ startAt: '2026-03-06T03:00:00Z', calendar: 'ignore' });
    expect(job.calendar).toBe('ignore');
    const first = scheduler.firstOccurrence(job, NOW, ctxWith(other('2026-03-06T03:00:00Z')));
    expect(first).toMatchObject({ scheduledFor: at('2026-03-06T03:00:00Z') });
    expect(first).not.toHaveProperty('moved');
    expect(task({ calendar: 'apply' })).not.toHaveProperty('calendar');
  });
});
