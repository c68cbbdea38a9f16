import { describe, expect, it } from 'vitest';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import { parseHistoryQuery } from '../../src/domain/validateHistoryQuery.js';
import { parseOccurrenceQuery } from '../../src/domain/validateOccurrenceQuery.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { EventLog } from '../../src/log/EventLog.js';
import type { EventStore } from '../../src/log/EventStore.js';
import { type StoredEvent, streams } from '../../src/log/events.js';
import { memoryStore } from '../../src/log/memoryStore.js';
import { readAllPages } from '../../src/log/readAllPages.js';
import { forwardStore } from '../helpers/forwardStore.js';
import { inlineView, rebuiltView } from '../helpers/projectionViews.js';
import { useStores } from '../helpers/stores.js';

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

async function logWithHistory(store: EventStore = memoryStore({ clock })): Promise<EventLog> {
  const log = await EventLog.open(store);
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

const kinds = useStores();

/** Every record the store holds, through its paged query. */
const records = (store: EventStore, query: Record<string, unknown> = {}) =>
  readAllPages((cursor) => store.queryRecords(parseOccurrenceQuery({ ...query, cursor })));

const history = async (store: EventStore, query: Record<string, unknown>) =>
  (await store.queryHistory(parseHistoryQuery(query))).items;

describe.each(kinds)('the read model on a $name store', (kind) => {
  it('answers the seed repository queries from the store, settled history included', async () => {
    const log = await logWithHistory(await kind.open(clock));
    const store = log.store;
    expect((await store.loadLive()).tasks).toEqual([task]);
    expect((await records(store)).map((r) => r.occurrence.id)).toEqual([first.id, retry.id]);
    const failed = (await store.getRecord(first.id))!.execution;
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
    expect((await store.getRecord(retry.id))!.execution.retriesRemaining).toBe(1);
    expect((await records(store, { state: 'scheduled' })).map((r) => r.occurrence.id)).toEqual([
      retry.id,
    ]);
    expect(await records(store, { taskId: 'nobody' })).toEqual([]);
    expect(Object.isFrozen((await store.getRecord(first.id))!.execution.history)).toBe(true);
  });

  it('folds task.paused and task.resumed into the task, inline and from scratch alike', async () => {
    const store = await kind.open(clock);
    const log = await EventLog.open(store);
    const pause = (taskId: string, paused: boolean) =>
      ({
        type: paused ? 'task.paused' : 'task.resumed',
        stream: streams.task(taskId),
        data: { taskId },
      }) as const;
    await log.append([{ type: 'task.defined', stream: streams.task('standup'), data: { task } }]);
    await log.append([pause('standup', true), pause('ghost', true)]);
    expect((await store.loadLive()).tasks).toEqual([{ ...task, paused: true }]);
    expect(log.model.getTask('standup')?.paused).toBe(true);
    expect(await inlineView(store)).toEqual(await rebuiltView(store));

    await log.append([pause('standup', false)]);
    expect((await store.loadLive()).tasks).toEqual([task]);
    expect(await inlineView(store)).toEqual(await rebuiltView(store));
    expect((await history(store, { taskId: 'standup' })).map((e) => e.type)).toEqual([
      'task.defined',
      'task.paused',
      'task.resumed',
    ]);
  });

  it('keeps only the live set in memory: a settled occurrence is read from the store', async () => {
    const log = await logWithHistory(await kind.open(clock));
    expect(log.model.getExecution(first.id)).toBeUndefined();
    expect(log.model.getExecution(retry.id)?.state).toBe('scheduled');
    expect(log.model.liveCount).toBe(1);
    expect((await log.record(first.id))?.execution.state).toBe('retrying');
    const reopened = await EventLog.open(log.store);
    expect(reopened.model.liveCount).toBe(1);
    expect(reopened.model.lastSeq).toBe(6);
    expect(reopened.model.listTasks()).toEqual([task]);
  });

  it('gives the history of a task and of one occurrence, a page at a time, either way round', async () => {
    const log = await logWithHistory(await kind.open(clock));
    const store = log.store;
    expect((await history(store, { occurrenceId: first.id })).map((e) => e.type)).toEqual([
      'occurrence.scheduled',
      'occurrence.triggered',
      'occurrence.failed',
      'occurrence.retried',
    ]);
    expect((await history(store, { taskId: 'standup' })).map((e) => e.seq)).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    const pages: number[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.queryHistory(
        parseHistoryQuery({ taskId: 'standup', limit: 4, order: 'desc', cursor }),
      );
      pages.push(page.items.map((e) => e.seq));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(pages).toEqual([
      [6, 5, 4, 3],
      [2, 1],
    ]);
    expect(await history(store, { taskId: 'standup', from: NOW + 1 })).toEqual([]);
    expect(await history(store, { occurrenceId: 'o_unknown' })).toEqual([]);
  });

  it('pages records by first appearance, filtered by state and scheduled time, either way round', async () => {
    const store = await kind.open(clock);
    const log = await EventLog.open(store);
    await log.append([{ type: 'task.defined', stream: streams.task('standup'), data: { task } }]);
    const occurrences = Array.from({ length: 7 }, (_, k) =>
      makeOccurrence({
        taskId: 'standup',
        cause: 'initial',
        scheduledFor: new Date(NOW + k * 60_000).toISOString(),
      }),
    );
    for (const occurrence of occurrences) {
      await log.append([
        {
          type: 'occurrence.scheduled',
          stream: streams.occurrence(occurrence.id),
          data: { occurrence },
        },
      ]);
    }
    await log.append([
      {
        type: 'occurrence.cancelled',
        stream: streams.occurrence(occurrences[2]!.id),
        data: { occurrenceId: occurrences[2]!.id, reason: 'user' },
      },
    ]);
    const ids = (list: readonly { occurrence: { id: string } }[]) =>
      list.map((r) => r.occurrence.id);
    const first3 = await store.queryRecords(parseOccurrenceQuery({ limit: 3 }));
    expect(ids(first3.items)).toEqual(
      ids(occurrences.slice(0, 3).map((occurrence) => ({ occurrence }))),
    );
    const next = await store.queryRecords(
      parseOccurrenceQuery({ limit: 3, cursor: first3.nextCursor }),
    );
    expect(next.items.map((r) => r.occurrence.id)).toEqual(
      occurrences.slice(3, 6).map((o) => o.id),
    );
    const last = await store.queryRecords(
      parseOccurrenceQuery({ limit: 3, cursor: next.nextCursor }),
    );
    expect(last).toEqual({ items: [expect.objectContaining({ occurrence: occurrences[6] })] });
    const newest = await store.queryRecords(
      parseOccurrenceQuery({ limit: 2, order: 'desc', state: 'scheduled' }),
    );
    expect(newest.items.map((r) => r.occurrence.id)).toEqual([
      occurrences[6]!.id,
      occurrences[5]!.id,
    ]);
    const window = await records(store, {
      from: NOW + 60_000,
      to: NOW + 4 * 60_000,
      state: 'scheduled',
    });
    expect(window.map((r) => r.occurrence.id)).toEqual([occurrences[1]!.id, occurrences[3]!.id]);
    // Places of settled occurrences that ran; the live ones come with loadLive().
    const ran = occurrences[5]!;
    await log.append([
      {
        type: 'occurrence.triggered',
        stream: streams.occurrence(ran.id),
        data: { occurrenceId: ran.id, attempt: 0, idempotencyKey: 'k', lateByMs: 0 },
      },
      {
        type: 'occurrence.completed',
        stream: streams.occurrence(ran.id),
        data: { occurrenceId: ran.id, durationMs: 1 },
      },
    ]);
    expect((await store.placesSince(NOW + 5 * 60_000)).map((p) => p.occurrenceId)).toEqual([
      ran.id,
    ]);
    expect(await store.placesSince(NOW + 6 * 60_000)).toEqual([]);
  });

  it('equals the projection rebuilt from scratch, across read batches', async () => {
    // More entries than one read batch holds, so batch boundaries fall inside occurrences.
    const store = await kind.open(clock);
    const log = await EventLog.open(store);
    const reader = await EventLog.open(store);
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
      if (k % 5 === 4) continue; // left running
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
    expect(await inlineView(store)).toEqual(await rebuiltView(store));
    expect(log.model.liveCount).toBe(90);
    await reader.catchUp();
    expect(reader.model.lastSeq).toBe(log.model.lastSeq);
    expect(reader.model.liveCount).toBe(90);
  });
});

describe('LiveModel', () => {
  it('refuses entries out of order', async () => {
    const log = await logWithHistory();
    let second: StoredEvent | undefined;
    for await (const batch of log.store.read({ fromSeq: 2, toSeq: 2 })) second = batch[0];
    expect(() => log.model.apply([second!])).toThrow(/expected entry #7, got #2/);
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
    const reopened = await EventLog.open(log.store);
    expect(reopened.model.hasWaiting('standup', first.id)).toBe(false);
    expect(reopened.model.getExecution(retry.id)?.state).toBe('triggered');
  });

  it('visits the occurrences still waiting, and the place of every live one', async () => {
    const log = await logWithHistory();
    const waiting = (model: EventLog['model']) => {
      const seen: string[] = [];
      model.forEachWaiting((occurrence, at) => seen.push(`${occurrence.id} ${at}`));
      return seen;
    };
    const places = (model: EventLog['model']) => {
      const seen: string[] = [];
      model.forEachLivePlace((id, at) => seen.push(`${id} ${at}`));
      return seen;
    };
    expect(waiting(log.model)).toEqual([`${retry.id} ${retry.scheduledFor}`]);
    const later = makeOccurrence({
      taskId: 'standup',
      cause: 'initial',
      scheduledFor: '2026-03-03T09:30:00Z',
    });
    await log.append([
      {
        type: 'occurrence.triggered',
        stream: streams.occurrence(retry.id),
        data: { occurrenceId: retry.id, attempt: 1, idempotencyKey: 'k', lateByMs: 0 },
      },
      {
        type: 'occurrence.scheduled',
        stream: streams.occurrence(later.id),
        data: { occurrence: later },
      },
    ]);
    // The triggered retry still holds its place but no longer waits.
    const reopened = await EventLog.open(log.store);
    for (const model of [log.model, reopened.model]) {
      expect(waiting(model)).toEqual([`${later.id} ${later.scheduledFor}`]);
      expect(places(model)).toEqual([
        `${retry.id} ${retry.scheduledFor}`,
        `${later.id} ${later.scheduledFor}`,
      ]);
    }
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

  it('verifies its chain', async () => {
    const log = await logWithHistory();
    await expect(log.verify()).resolves.toMatchObject({ ok: true, entries: 6 });
  });

  it('checks an anchored head itself over a store that does not verify on its own', async () => {
    const inner = memoryStore({ clock });
    const log = await logWithHistory(forwardStore(inner));
    const head = await inner.head();
    await expect(log.verify({ expectHead: head })).resolves.toMatchObject({ ok: true });
    const wrong = { seq: 3, hash: head.hash };
    await expect(log.verify({ expectHead: wrong })).resolves.toMatchObject({
      ok: false,
      problem: 'expected-head',
    });
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
