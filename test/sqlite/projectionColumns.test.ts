import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isPlanflowError } from '../../src/domain/errors.js';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { type NewEvent, streams } from '../../src/log/events.js';
import { rebuildProjection } from '../../src/sqlite/sqliteProjection.js';
import { sqliteStore } from '../../src/sqlite/sqliteStore.js';
import { clock, rejection, useTempLogPaths } from '../helpers/sqliteFixtures.js';

const newPath = useTempLogPaths();
const NOW = clock.now();

/** Every `occurrences` row, all columns, in key order. */
const rows = (db: Database.Database) =>
  db.prepare('SELECT * FROM occurrences ORDER BY first_seq').all();

describe('sqliteStore read model', () => {
  it('writes the columns a rebuild from scratch writes, whichever of live and holds_place an entry changes', async () => {
    const path = newPath();
    const store = await sqliteStore({ path, clock, synchronous: 'NORMAL' });
    const onCalendar = parseTask({ id: 'on', title: 'On' }, undefined, new Date(NOW));
    const ignoring = parseTask(
      { id: 'off', title: 'Off', calendar: 'ignore' },
      undefined,
      new Date(NOW),
    );
    await store.append([
      { type: 'task.defined', stream: streams.task('on'), data: { task: onCalendar } },
      { type: 'task.defined', stream: streams.task('off'), data: { task: ignoring } },
    ]);
    const occurrences = [0, 1, 2, 3, 4].map((k) =>
      makeOccurrence({
        taskId: k === 4 ? 'off' : 'on',
        cause: 'initial',
        scheduledFor: new Date(NOW + (k + 1) * 60_000).toISOString(),
      }),
    );
    const [ran, failed, missed, cancelled, outside] = occurrences as [
      (typeof occurrences)[0],
      (typeof occurrences)[0],
      (typeof occurrences)[0],
      (typeof occurrences)[0],
      (typeof occurrences)[0],
    ];
    const on = (id: string, type: string, data: Record<string, unknown> = {}): NewEvent =>
      ({
        type,
        stream: streams.occurrence(id),
        data: { occurrenceId: id, ...data },
      }) as NewEvent;
    const trigger = (id: string) =>
      on(id, 'occurrence.triggered', { attempt: 0, idempotencyKey: id, lateByMs: 0 });
    for (const occurrence of occurrences) {
      await store.append([
        {
          type: 'occurrence.scheduled',
          stream: streams.occurrence(occurrence.id),
          data: { occurrence },
        },
      ]);
    }
    // One entry per append, so every one of them updates a row the table already holds.
    const steps: NewEvent[] = [
      // Scheduled again: nothing but the history changes.
      {
        type: 'occurrence.scheduled',
        stream: streams.occurrence(ran.id),
        data: { occurrence: ran },
      },
      trigger(ran.id), // neither live nor holds_place changes
      on(ran.id, 'occurrence.completed', { durationMs: 1 }), // live only
      trigger(failed.id),
      on(failed.id, 'occurrence.failed', { durationMs: 1, error: { name: 'E', message: 'm' } }),
      on(missed.id, 'occurrence.missed', { lateByMs: 1 }), // live and holds_place
      on(cancelled.id, 'occurrence.cancelled', { reason: 'user' }),
      trigger(outside.id), // holds no place before or after
      on(outside.id, 'occurrence.completed', { durationMs: 1 }),
    ];
    for (const step of steps) await store.append([step]);
    await store.close();

    const db = new Database(path);
    try {
      const inline = rows(db);
      expect(inline).toHaveLength(5);
      expect(inline.map((row) => (row as { state: string }).state)).toEqual([
        'done',
        'failed',
        'missed',
        'cancelled',
        'done',
      ]);
      db.transaction(() => rebuildProjection(db))();
      expect(rows(db)).toEqual(inline);
    } finally {
      db.close();
    }
  });

  it('folds an outcome over what another connection recorded since its own trigger', async () => {
    const path = newPath();
    const mine = await sqliteStore({ path, clock, synchronous: 'NORMAL' });
    const task = parseTask({ id: 'on', title: 'On' }, undefined, new Date(NOW));
    const occurrence = makeOccurrence({
      taskId: 'on',
      cause: 'initial',
      scheduledFor: new Date(NOW + 60_000).toISOString(),
    });
    const stream = streams.occurrence(occurrence.id);
    const occurrenceId = occurrence.id;
    await mine.append([
      { type: 'task.defined', stream: streams.task('on'), data: { task } },
      { type: 'occurrence.scheduled', stream, data: { occurrence } },
    ]);
    await mine.append([
      {
        type: 'occurrence.triggered',
        stream,
        data: { occurrenceId, attempt: 0, idempotencyKey: 'k', lateByMs: 0 },
      },
    ]);
    // A survivor on the same file records the run interrupted first.
    const other = await sqliteStore({ path, clock, synchronous: 'NORMAL' });
    await other.append([
      {
        type: 'occurrence.failed',
        stream,
        data: { occurrenceId, durationMs: 0, error: { name: 'InterruptedError', message: 'x' } },
      },
    ]);
    await other.close();

    const refused = await rejection(
      mine.append([
        { type: 'occurrence.completed', stream, data: { occurrenceId, durationMs: 1 } },
      ]),
    );
    expect(isPlanflowError(refused, 'planflow:already-settled')).toBe(true);
    expect((await mine.getRecord(occurrenceId))?.execution.state).toBe('failed');
    await mine.close();
  });
});
