import { describe, expect, it } from 'vitest';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { EventLog } from '../../src/log/EventLog.js';
import { type StoredEvent, streams } from '../../src/log/events.js';
import { memoryStore } from '../../src/log/memoryStore.js';

const NOW = Date.parse('2026-03-02T08:00:00.000Z');
const clock = { now: () => NOW };
const task = parseTask(
  {
    id: 'standup',
    title: 'Stand-up',
    recurrence: { everyMs: 86_400_000 },
    retry: { maxRetries: 2 },
  },
  undefined,
  new Date(NOW),
);
const first = makeOccurrence({
  taskId: 'standup',
  cause: 'initial',
  scheduledFor: '2026-03-02T09:30:00Z',
});
const retry = makeOccurrence({
  taskId: 'standup',
  cause: 'retry',
  scheduledFor: '2026-03-02T10:30:00Z',
  attempt: 1,
  parentId: first.id,
});

async function logWithHistory(): Promise<EventLog> {
  const log = await EventLog.open(memoryStore({ clock }));
  await log.append([{ type: 'task.defined', stream: streams.task('standup'), data: { task } }]);
  await log.append([
    {
      type: 'occurrence.scheduled',
      stream: streams.occurrence(first.id),
      data: { occurrence: first },
    },
  ]);
  await log.append([
    {
      type: 'occurrence.triggered',
      stream: streams.occurrence(first.id),
      data: { occurrenceId: first.id, attempt: 0, idempotencyKey: 'k', lateByMs: 0 },
    },
  ]);
  await log.append([
    {
      type: 'occurrence.failed',
      stream: streams.occurrence(first.id),
      data: { occurrenceId: first.id, durationMs: 5, error: { name: 'Error', message: 'boom' } },
    },
    {
      type: 'occurrence.scheduled',
      stream: streams.occurrence(retry.id),
      data: { occurrence: retry },
    },
    {
      type: 'occurrence.retried',
      stream: streams.occurrence(first.id),
      data: { occurrenceId: first.id, retryId: retry.id },
    },
  ]);
  return log;
}

describe('ReadModel', () => {
  it('answers the seed repository queries from the fold of the log', async () => {
    const log = await logWithHistory();
    const model = log.model;
    expect(model.listTasks()).toEqual([task]);
    expect(model.getTask('standup')).toEqual(task);
    expect(model.listOccurrences().map((o) => o.id)).toEqual([first.id, retry.id]);
    const failed = model.getExecution(first.id)!;
    expect(failed.state).toBe('retrying');
    expect(failed.outcome).toBe('failed');
    expect(failed.triggered).toBe(true);
    expect(failed.error).toEqual({ name: 'Error', message: 'boom' });
    expect(failed.followUpId).toBe(retry.id);
    expect(failed.retriesRemaining).toBe(2);
    expect(failed.history.map((h) => h.state)).toEqual([
      'scheduled',
      'triggered',
      'failed',
      'retrying',
    ]);
    expect(model.getExecution(retry.id)!.retriesRemaining).toBe(1);
    expect(model.listExecutions({ state: 'scheduled' }).map((e) => e.occurrenceId)).toEqual([
      retry.id,
    ]);
    expect(model.listOccurrences({ taskId: 'nobody' })).toEqual([]);
  });

  it('hands out frozen records', async () => {
    const log = await logWithHistory();
    const execution = log.model.getExecution(first.id)!;
    expect(Object.isFrozen(execution)).toBe(true);
    expect(Object.isFrozen(execution.history)).toBe(true);
  });

  it('refuses events out of order', async () => {
    const log = await logWithHistory();
    const rebuilt = await EventLog.fold(log.store);
    let second: StoredEvent | undefined;
    for await (const batch of log.store.read({ fromSeq: 2, toSeq: 2 })) second = batch[0];
    expect(() => rebuilt.apply(second!)).toThrow(/expected event #7, got #2/);
  });

  it('knows which of a task’s occurrences still wait to trigger', async () => {
    const log = await logWithHistory();
    const model = log.model;
    // The first attempt triggered and failed; only its retry waits.
    expect(model.hasWaiting('standup', first.id)).toBe(true);
    expect(model.hasWaiting('standup', retry.id)).toBe(false);
    expect(model.hasWaiting('standup', first.id, (e) => e.cause !== 'retry')).toBe(false);
    expect(model.hasWaiting('nobody', first.id)).toBe(false);
    await log.append([
      {
        type: 'occurrence.triggered',
        stream: streams.occurrence(retry.id),
        data: { occurrenceId: retry.id, attempt: 1, idempotencyKey: 'k', lateByMs: 0 },
      },
    ]);
    expect(model.hasWaiting('standup', first.id)).toBe(false);
    const rebuilt = await EventLog.fold(log.store);
    expect(rebuilt.hasWaiting('standup', first.id)).toBe(false);
  });

  it('folded from scratch equals the live model', async () => {
    const log = await logWithHistory();
    const rebuilt = await EventLog.fold(log.store);
    expect(rebuilt.snapshot()).toEqual(log.model.snapshot());
  });
});

describe('EventLog', () => {
  it('publishes each appended entry once, in sequence order', async () => {
    const log = await EventLog.open(memoryStore({ clock }));
    const seen: number[] = [];
    log.events.subscribe((e) => seen.push(e.seq));
    await Promise.all([
      log.append([{ type: 'scheduler.started', stream: 'scheduler', data: { instanceId: 'a' } }]),
      log.append([{ type: 'scheduler.paused', stream: 'scheduler', data: { instanceId: 'a' } }]),
      log.append([{ type: 'scheduler.started', stream: 'scheduler', data: { instanceId: 'a' } }]),
    ]);
    expect(seen).toEqual([1, 2, 3]);
    expect(log.model.status).toBe('running');
  });

  it('gives the history of a task and of one occurrence from the store', async () => {
    const log = await logWithHistory();
    const ofOccurrence = await log.history({ occurrenceId: first.id });
    expect(ofOccurrence.map((e) => e.type)).toEqual([
      'occurrence.scheduled',
      'occurrence.triggered',
      'occurrence.failed',
      'occurrence.retried',
    ]);
    const ofTask = await log.history({ taskId: 'standup' });
    expect(ofTask.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('folds and catches up across read batches exactly as it applied the entries live', async () => {
    // More entries than one fold batch holds, so batch boundaries fall inside occurrences.
    const log = await EventLog.open(memoryStore({ clock }));
    const reader = await EventLog.open(log.store);
    await log.append([{ type: 'task.defined', stream: streams.task('standup'), data: { task } }]);
    for (let k = 0; k < 450; k++) {
      const occ = makeOccurrence({
        taskId: 'standup',
        cause: 'initial',
        scheduledFor: new Date(NOW + k * 60_000).toISOString(),
      });
      const stream = streams.occurrence(occ.id);
      await log.append([
        { type: 'occurrence.scheduled', stream, data: { occurrence: occ } },
        {
          type: 'occurrence.triggered',
          stream,
          data: { occurrenceId: occ.id, attempt: 0, idempotencyKey: `k${k}`, lateByMs: 0 },
        },
      ]);
      await log.append([
        k % 3 === 0
          ? {
              type: 'occurrence.failed',
              stream,
              data: { occurrenceId: occ.id, durationMs: 1, error: { name: 'E', message: 'm' } },
            }
          : { type: 'occurrence.completed', stream, data: { occurrenceId: occ.id, durationMs: 1 } },
      ]);
    }
    expect(log.model.lastSeq).toBe(1351);
    const rebuilt = await EventLog.fold(log.store);
    expect(rebuilt.snapshot()).toEqual(log.model.snapshot());
    await reader.catchUp();
    expect(reader.model.snapshot()).toEqual(log.model.snapshot());
  });

  it('verifies its chain', async () => {
    const log = await logWithHistory();
    await expect(log.verify()).resolves.toMatchObject({ ok: true, entries: 6 });
  });
});

describe('EventLog with another writer on the same store', () => {
  it('reads in entries it did not append, so its model never stalls on a gap', async () => {
    const store = memoryStore({ clock });
    const log = await EventLog.open(store);
    const seen: string[] = [];
    log.events.subscribe((e) => seen.push(`${e.seq}:${e.type}`));
    // Another process appends directly to the shared store.
    await store.append([{ type: 'task.defined', stream: streams.task('standup'), data: { task } }]);
    await log.append([
      { type: 'scheduler.started', stream: 'scheduler', data: { instanceId: 'a' } },
    ]);
    expect(seen).toEqual(['1:task.defined', '2:scheduler.started']);
    expect(log.model.getTask('standup')).toEqual(task);
    expect(log.model.lastSeq).toBe(2);
  });

  it('catchUp() refreshes a reader', async () => {
    const store = memoryStore({ clock });
    const log = await EventLog.open(store);
    await store.append([{ type: 'task.defined', stream: streams.task('standup'), data: { task } }]);
    expect(log.model.listTasks()).toEqual([]);
    await log.catchUp();
    expect(log.model.listTasks()).toEqual([task]);
  });
});
