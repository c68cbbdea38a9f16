import { describe, expect, it } from 'vitest';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import type { Execution, ExecutionState, Occurrence, Task } from '../../src/domain/types.js';
import { parseCalendar } from '../../src/domain/validateCalendar.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { occupancyOf } from '../../src/planning/CalendarOccupancy.js';
import { DefaultRecoveryService } from '../../src/planning/DefaultRecoveryService.js';
import type { RecoveryInput } from '../../src/planning/ports.js';

/** Berlin in early March is UTC+1: 2026-03-02 is a Monday. */
const calendar = parseCalendar({
  timeZone: 'Europe/Berlin',
  workingHours: {
    mon: { start: '09:00', end: '17:00', slots: ['morning', 'afternoon'] },
    tue: { start: '09:00', end: '17:00', slots: ['morning', 'afternoon'] },
    wed: { start: '09:00', end: '17:00', slots: ['morning', 'afternoon'] },
    thu: { start: '09:00', end: '17:00', slots: ['morning', 'afternoon'] },
    fri: { start: '09:00', end: '17:00', slots: ['morning', 'afternoon'] },
  },
  slots: [
    { id: 'morning', start: '09:30' },
    { id: 'afternoon', start: '14:00' },
  ],
  maxPerDay: 2,
});

const local = (text: string) => new Date(`${text}+01:00`);
const iso = (text: string) => local(text).toISOString();
const recovery = new DefaultRecoveryService();

function task(id: string, input: Record<string, unknown> = {}): Task {
  return parseTask({ id, title: id, createdAt: iso('2026-03-01T00:00'), ...input }, calendar);
}

function occ(
  taskId: string,
  text: string,
  extra: Partial<Parameters<typeof makeOccurrence>[0]> = {},
) {
  return makeOccurrence({
    taskId,
    cause: 'recurrence',
    scheduledFor: local(text),
    slotName: 'morning',
    ...extra,
  });
}

function execution(
  o: Occurrence,
  state: ExecutionState,
  extra: Partial<Execution> = {},
): Execution {
  return {
    occurrenceId: o.id,
    taskId: o.taskId,
    scheduledFor: o.scheduledFor,
    attempt: o.attempt,
    cause: o.cause,
    state,
    retriesRemaining: 0,
    triggered: false,
    history: [],
    ...extra,
  };
}

function input(
  occurrences: Occurrence[],
  tasks: Task[],
  now: Date,
  executions: Execution[] = [],
): RecoveryInput {
  return {
    executions: new Map(executions.map((e) => [e.occurrenceId, e])),
    occurrences,
    tasks: new Map(tasks.map((t) => [t.id, t])),
    now,
    ctx: { calendar, occupancy: occupancyOf(occurrences, calendar) },
  };
}

/** Monday 09:30 was missed (the machine slept); it is now Monday 10:00. */
const NOW = local('2026-03-02T10:00');
const missed = occ('report', '2026-03-02T09:30');

describe('DefaultRecoveryService', () => {
  it('schedules a retry when retries are left', () => {
    const t = task('report', { retry: { maxRetries: 2, delayMs: 60_000 } });
    const created = recovery.recoverMissed(input([missed], [t], NOW));
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      cause: 'retry',
      attempt: 1,
      parentId: missed.id,
      scheduledFor: iso('2026-03-02T14:00'),
      slotName: 'afternoon',
    });
  });

  it('returns nothing when no slot is free', () => {
    const t = task('report', { retry: { maxRetries: 2 }, recurrence: { cron: '30 9 * * *' } });
    const closed = parseCalendar({ timeZone: 'Europe/Berlin', workingHours: {} });
    const base = input([missed], [t], NOW);
    const created = recovery.recoverMissed({
      ...base,
      ctx: { calendar: closed, occupancy: occupancyOf([], closed) },
    });
    expect(created).toEqual([]);
  });

  it('picks the next valid slot of the recurrence when no retries are left', () => {
    const t = task('report', {
      recurrence: { cron: '0 7 * * 1-5' },
      preferredSlots: ['afternoon'],
    });
    const created = recovery.recoverMissed(input([missed], [t], NOW));
    expect(created).toHaveLength(1);
    // Next due is Tuesday 07:00, outside working hours: mapped into the preferred slot.
    expect(created[0]).toMatchObject({
      cause: 'recovery',
      attempt: 0,
      parentId: missed.id,
      scheduledFor: iso('2026-03-03T14:00'),
      slotName: 'afternoon',
    });
  });

  it('yields exactly one occurrence, the retry, when retry and recurrence are both possible', () => {
    const t = task('report', {
      retry: { maxRetries: 1, delayMs: 60_000 },
      recurrence: { cron: '30 9 * * *' },
    });
    const created = recovery.recoverMissed(input([missed], [t], NOW));
    expect(created.map((o) => o.cause)).toEqual(['retry']);
  });

  it('yields no retry when the retry limit is reached', () => {
    const t = task('report', { retry: { maxRetries: 1 } });
    const exhausted = occ('report', '2026-03-02T09:30', { cause: 'retry', attempt: 1 });
    expect(recovery.recoverMissed(input([exhausted], [t], NOW))).toEqual([]);
    const recurring = task('report', {
      retry: { maxRetries: 1 },
      recurrence: { cron: '30 9 * * *' },
    });
    expect(
      recovery.recoverMissed(input([exhausted], [recurring], NOW)).map((o) => o.cause),
    ).toEqual(['recovery']);
  });

  it('lets caps prevent scheduling', () => {
    const t = task('report', { retry: { maxRetries: 1, delayMs: 60_000 } });
    const others = [
      '2026-03-02',
      '2026-03-03',
      '2026-03-04',
      '2026-03-05',
      '2026-03-06',
      '2026-03-09',
    ].flatMap((d) => [
      occ('x', `${d}T09:30`, { cause: 'initial' }),
      occ('y', `${d}T14:00`, { cause: 'initial' }),
    ]);
    const doneOthers = others.map((o) => execution(o, 'scheduled', { triggered: true }));
    expect(recovery.recoverMissed(input([missed, ...others], [t], NOW, doneOthers))).toEqual([]);
  });

  it('ignores pinned-time occurrences', () => {
    const t = task('report', { retry: { maxRetries: 3 }, recurrence: { cron: '30 9 * * *' } });
    const pinned = occ('report', '2026-03-02T09:30', {
      cause: 'initial',
      pinnedTime: iso('2026-03-02T09:30'),
      slotName: undefined,
    });
    expect(recovery.recoverMissed(input([pinned], [t], NOW))).toEqual([]);
  });

  it('ignores occurrences of unknown tasks', () => {
    expect(recovery.recoverMissed(input([missed], [], NOW))).toEqual([]);
  });

  it('leaves occurrences within grace to the runtime', () => {
    const t = task('report', { retry: { maxRetries: 1 } });
    const justNow = local('2026-03-02T09:30').getTime() + 30_000;
    expect(recovery.recoverMissed(input([missed], [t], new Date(justNow)))).toEqual([]);
    expect(recovery.recoverMissed(input([missed], [t], new Date(justNow + 1)))).toHaveLength(1);
  });

  it.each([
    ['triggered', execution(missed, 'triggered', { triggered: true })],
    ['done', execution(missed, 'done', { triggered: true })],
    ['failed', execution(missed, 'failed', { triggered: true })],
    ['cancelled', execution(missed, 'cancelled')],
    ['skipped', execution(missed, 'skipped')],
    ['followed up', execution(missed, 'missed', { followUpId: 'o_next' })],
  ])('ignores an occurrence that is %s', (_label, exec) => {
    const t = task('report', { retry: { maxRetries: 1 } });
    expect(recovery.recoverMissed(input([missed], [t], NOW, [exec]))).toEqual([]);
  });

  it('recovers an occurrence recorded as scheduled or missed', () => {
    const t = task('report', { retry: { maxRetries: 1 } });
    for (const state of ['scheduled', 'missed'] as const) {
      expect(
        recovery.recoverMissed(input([missed], [t], NOW, [execution(missed, state)])),
      ).toHaveLength(1);
    }
  });

  it('ignores an occurrence whose follow-up is already listed', () => {
    const t = task('report', { retry: { maxRetries: 1 } });
    const followUp = occ('report', '2026-03-02T14:00', {
      cause: 'retry',
      attempt: 1,
      parentId: missed.id,
    });
    expect(recovery.recoverMissed(input([missed, followUp], [t], NOW))).toEqual([]);
  });

  it('never plans two new occurrences into the same place', () => {
    const tasks = ['a', 'b', 'c'].map((id) =>
      task(id, { retry: { maxRetries: 1, delayMs: 60_000 } }),
    );
    const misses = [
      occ('a', '2026-02-26T09:30'),
      occ('b', '2026-02-27T09:30'),
      occ('c', '2026-02-27T14:00'),
    ];
    const created = recovery.recoverMissed(input(misses, tasks, NOW));
    expect(created).toHaveLength(3);
    expect(new Set(created.map((o) => o.scheduledFor)).size).toBe(3);
    // Each due 10:01: Monday's afternoon is the only slot left that day, then the cap (2 per
    // day) holds across the batch on Tuesday.
    expect(created.map((o) => o.scheduledFor)).toEqual([
      iso('2026-03-02T14:00'),
      iso('2026-03-03T09:30'),
      iso('2026-03-03T14:00'),
    ]);
  });

  it('gives several missed occurrences of one series a single next recurrence', () => {
    const t = task('report', { recurrence: { cron: '30 9 * * 1-5' } });
    const older = occ('report', '2026-02-27T09:30');
    const created = recovery.recoverMissed(input([missed, older], [t], NOW));
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ parentId: older.id, scheduledFor: iso('2026-03-03T09:30') });
  });

  it('mutates nothing it is given and returns a frozen list', () => {
    const t = task('report', { retry: { maxRetries: 1 } });
    const occurrences = [missed];
    const given = input(occurrences, [t], NOW);
    const created = recovery.recoverMissed(given);
    expect(occurrences).toEqual([missed]);
    expect(given.ctx.occupancy.countOnDay('2026-03-02')).toBe(1);
    expect(Object.isFrozen(created)).toBe(true);
  });
});
