import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { CorruptLogError, ValidationError } from '../../src/domain/errors.js';
import { parseOccurrenceQuery } from '../../src/domain/validateOccurrenceQuery.js';
import { parseTask } from '../../src/domain/validateTask.js';
import type { ArchiveResult, ArchivingStore } from '../../src/log/ArchivingStore.js';
import { EventLog } from '../../src/log/EventLog.js';
import type { StoredEvent } from '../../src/log/events.js';
import { entryHash } from '../../src/log/hashChain.js';
import { LiveModel } from '../../src/log/LiveModel.js';
import { leavesReadModel } from '../../src/log/leavesReadModel.js';
import type { ProjectionChanges } from '../../src/log/projection.js';
import { readArchive } from '../../src/log/readArchive.js';
import type { SegmentSource } from '../../src/log/SegmentReader.js';
import { verifyArchive } from '../../src/log/verifyArchive.js';
import { createScheduler } from '../../src/scheduler/createScheduler.js';
import { TestClock } from '../../src/testing/TestClock.js';
import {
  historyOf,
  liveEntries,
  rebuiltOverArchive,
  schedulerHistory,
  useArchiveKinds,
  viewOf,
} from '../helpers/archiveFixtures.js';
import { at, DAY, HOUR, MINUTE, T0 } from '../helpers/harness.js';
import { requirePostgres } from '../helpers/pgSchemas.js';
import { inlineView } from '../helpers/projectionViews.js';
import { rejection } from '../helpers/sqliteFixtures.js';

beforeAll(requirePostgres);

const kinds = useArchiveKinds();

const allRecords = () => parseOccurrenceQuery({ limit: 100 });

/** A segment's lines (header first), decompressed. */
function linesOf(source: SegmentSource): string[] {
  const bytes = typeof source === 'string' ? readFileSync(source) : source;
  return gunzipSync(bytes).toString('utf8').trimEnd().split('\n');
}

/** A segment file (or bytes) with `lines` in it, header first, as an archive run writes them. */
function segmentOf(lines: readonly string[]): Buffer {
  const [header, ...entries] = lines;
  return Buffer.concat([gzipSync(`${header}\n`), gzipSync(`${entries.join('\n')}\n`)]);
}

/** Replaces a segment's content the way its kind is handed around. */
function rewritten(source: SegmentSource, lines: readonly string[]): SegmentSource {
  const bytes = segmentOf(lines);
  if (typeof source !== 'string') return bytes;
  writeFileSync(source, bytes);
  return source;
}

describe.each(kinds)('archiving on the $name store', (kind) => {
  async function archived(days = 10, keepDays = 3) {
    const clock = new TestClock(T0);
    const store = await kind.open(clock);
    await schedulerHistory(store, clock, days);
    const before = await inlineView(store);
    const result = await store.archive({ before: clock.now() - keepDays * DAY });
    return { clock, store, before, result, source: kind.source(result) };
  }

  describe('a run', () => {
    it('moves the prefix older than the cutoff into one sealed segment', async () => {
      const { store, result, source, clock } = await archived();
      const segment = result.segment!;
      const live = await liveEntries(store);
      expect(segment.firstSeq).toBe(1);
      expect(live[0]!.seq).toBe(segment.lastSeq + 1);
      expect(live[0]!.prevHash).toBe(segment.lastHash);
      const cutoff = new Date(clock.now() - 3 * DAY).toISOString();
      expect(live[0]!.time >= cutoff).toBe(true);
      const [header, ...lines] = linesOf(source);
      expect(JSON.parse(header!)).toMatchObject({
        format: 'planflow-segment-v1',
        firstSeq: 1,
        lastSeq: segment.lastSeq,
        count: segment.lastSeq,
        sha256: segment.sha256,
        lastHash: segment.lastHash,
      });
      expect(lines).toHaveLength(segment.count);
      expect(lines.every((line) => (JSON.parse(line) as { time: string }).time < cutoff)).toBe(
        true,
      );
      // The fact in the chain names the range, its boundary hashes, the file and its sha256.
      const fact = live.find((entry) => entry.type === 'log.archived')!;
      expect(fact.seq).toBe(segment.factSeq);
      expect(fact.data).toMatchObject({
        firstSeq: 1,
        lastSeq: segment.lastSeq,
        firstPrevHash: segment.firstPrevHash,
        lastHash: segment.lastHash,
        segment: segment.file,
        sha256: segment.sha256,
        prunedOccurrences: result.prunedOccurrences,
      });
      expect(await store.segments()).toEqual([segment]);
    });

    it('archives nothing when no entry is old enough, and refuses a cutoff in the future', async () => {
      const clock = new TestClock(T0);
      const store = await kind.open(clock);
      await schedulerHistory(store, clock, 1);
      const result = await store.archive({ before: T0 });
      expect(result.segment).toBeUndefined();
      expect(await store.segments()).toEqual([]);
      const error = await rejection(store.archive({ before: clock.now() + 1 }));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toMatch(/in the future.*up to now/);
      const none = await rejection(store.archive());
      expect((none as Error).message).toMatch(/needs options\.before.*or a retention option/);
    });

    it('refuses an appended log.archived: only an archive run records one', async () => {
      const store = await kind.open(new TestClock(T0));
      const error = await rejection(
        store.append([{ type: 'log.archived', stream: 'log', data: {} } as never]),
      );
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toMatch(/recorded by the store's archive run only/);
    });
  });

  describe('archive and live log', () => {
    it('verify as one chain, across several segments given in any order', async () => {
      const { store, source, clock } = await archived();
      expect(await verifyArchive([source], store)).toMatchObject({
        ok: true,
        entries: (await store.head()).seq,
      });
      expect(await store.verify({ full: true })).toMatchObject({ ok: true });
      await clock.advanceAsync(DAY);
      const second = await store.archive({ before: clock.now() - DAY });
      const sources = [source, kind.source(second)];
      expect(second.segment!.firstSeq).toBe((await store.segments())[0]!.lastSeq + 1);
      expect(await verifyArchive(sources, store)).toMatchObject({ ok: true });
      expect(await verifyArchive(sources.toReversed(), store)).toMatchObject({ ok: true });
      let read = 0;
      for await (const batch of readArchive(sources)) read += batch.length;
      expect(read).toBe(second.segment!.lastSeq);
    });

    it('detect a changed line at its entry', async () => {
      const { store, source } = await archived();
      const lines = linesOf(source);
      const at = 40;
      const target = JSON.parse(lines[at]!) as { seq: number };
      lines[at] = lines[at]!.replace(/"stream":"([^"]+)"/, '"stream":"$1x"');
      const result = await verifyArchive([rewritten(source, lines)], store);
      expect(result).toMatchObject({ ok: false, problem: 'chain', firstBadSeq: target.seq });
    });

    it('detect a segment rewritten with its hashes recomputed: it is not the one recorded', async () => {
      const { store, source } = await archived();
      const [header, ...lines] = linesOf(source);
      let prevHash = (JSON.parse(lines[0]!) as { prevHash: string }).prevHash;
      const forged = lines.map((line, i) => {
        const entry = JSON.parse(line) as Record<string, unknown> & { data: unknown };
        const data = i === 5 ? { ...(entry.data as object), forged: true } : entry.data;
        const fields = { ...entry, prevHash, dataJson: JSON.stringify(data) } as never;
        const hash = entryHash(fields);
        prevHash = hash;
        const { data: _, ...rest } = entry;
        return JSON.stringify({
          ...rest,
          prevHash: (fields as { prevHash: string }).prevHash,
          hash,
          data,
        });
      });
      const { createHash } = await import('node:crypto');
      const sha256 = createHash('sha256')
        .update(forged.map((l) => `${l}\n`).join(''))
        .digest('hex');
      const newHeader = JSON.stringify({ ...JSON.parse(header!), sha256, lastHash: prevHash });
      const result = await verifyArchive([rewritten(source, [newHeader, ...forged])], store);
      expect(result).toMatchObject({ ok: false, problem: 'segment', firstBadSeq: 1 });
      expect(result.ok || result.reason).toMatch(/changed or replaced/);
    });

    it('detect a missing segment, and one given twice', async () => {
      const { store, source, clock } = await archived();
      await clock.advanceAsync(DAY);
      const second = kind.source(await store.archive({ before: clock.now() - DAY }));
      const onlySecond = await verifyArchive([second], store);
      expect(onlySecond).toMatchObject({ ok: false, problem: 'segment', firstBadSeq: 1 });
      expect(onlySecond.ok || onlySecond.reason).toMatch(/a segment is missing/);
      const onlyFirst = await verifyArchive([source], store);
      expect(onlyFirst.ok || onlyFirst.reason).toMatch(/not given: pass every segment/);
      const twice = await verifyArchive([source, source, second], store);
      expect(twice.ok || twice.reason).toMatch(/given twice/);
      expect(await verifyArchive([], store)).toMatchObject({ ok: false, problem: 'segment' });
    });
  });

  describe('the read model', () => {
    it('keeps the live set, the tasks and the whole history of live occurrences', async () => {
      const clock = new TestClock(T0);
      const store = await kind.open(clock);
      await schedulerHistory(store, clock, 10);
      const before = await store.loadLive();
      const histories = await Promise.all(
        before.live.map((r) => historyOf(store, r.occurrence.id)),
      );
      const result = await store.archive({ before: clock.now() - 3 * DAY });
      const after = await store.loadLive();
      expect(after.live).toEqual(before.live);
      expect(after.tasks).toEqual(before.tasks);
      expect(after.calendar).toEqual(before.calendar);
      expect(after.status).toEqual(before.status);
      expect(after.head.seq).toBe(before.head.seq + 1);
      expect(await Promise.all(after.live.map((r) => historyOf(store, r.occurrence.id)))).toEqual(
        histories,
      );
      expect(result.prunedOccurrences).toBeGreaterThan(100);
    });

    it('loses exactly the settled occurrences the segment completes', async () => {
      const { store, before, result } = await archived();
      const after = await inlineView(store);
      const range = (await liveEntries(store)).find((e) => e.type === 'log.archived')!
        .data as never;
      const pruned = before.records.filter((r) => leavesReadModel(r, range));
      expect(pruned).toHaveLength(result.prunedOccurrences);
      expect(after.records).toEqual(before.records.filter((r) => !leavesReadModel(r, range)));
      for (const record of pruned) {
        expect(['scheduled', 'triggered']).not.toContain(record.execution.state);
      }
    });

    it('rebuilt over archive and live log equals the inline one', async () => {
      const { store, source, clock } = await archived();
      await clock.advanceAsync(DAY);
      const second = kind.source(await store.archive({ before: clock.now() - DAY }));
      const rebuilt = await rebuiltOverArchive(store, [source, second]);
      expect(await viewOf(rebuilt, store)).toEqual(await inlineView(store));
    });
  });

  describe('a reader behind the cutoff', () => {
    // On PostgreSQL the reader hears every commit and reads in as it goes; its test holds
    // that read (test/postgres/archive.test.ts). Here the reader reads only when asked.
    it.skipIf(kind.name === 'postgres')(
      'catches up past archived entries to the read model, reporting what changed',
      async () => {
        const clock = new TestClock(T0);
        const store = await kind.open(clock);
        const reported: ProjectionChanges[] = [];
        const published: number[] = [];
        const behind = await EventLog.open(store, { onProjected: (c) => reported.push(c) });
        behind.events.subscribe((event) => published.push(event.seq));
        await schedulerHistory(store, clock, 10);
        const { segment } = await store.archive({ before: clock.now() - 3 * DAY });
        expect(segment!.lastSeq).toBeGreaterThan(behind.model.lastSeq + 1);
        await behind.catchUp();
        const head = await store.head();
        const now = new LiveModel(await store.loadLive());
        expect(behind.model.lastSeq).toBe(head.seq);
        expect(behind.model.listTasks()).toEqual(now.listTasks());
        expect([...behind.model.liveRecords()]).toEqual([...now.liveRecords()]);
        expect(behind.model.status).toBe(now.status);
        // One report for the replaced model: every task and live occurrence.
        expect(reported).toHaveLength(1);
        expect([...reported[0]!.records.keys()].sort()).toEqual(
          [...now.liveRecords()].map((r) => r.occurrence.id).sort(),
        );
        expect([...reported[0]!.tasks.keys()].sort()).toEqual(['daily', 'flaky', 'hourly']);
        // Nothing of the skipped range was published; the reader goes on from the head.
        expect(published).toEqual([]);
        const [next] = await store.append([
          { type: 'scheduler.paused', stream: 'scheduler', data: { instanceId: 'other' } },
        ]);
        await behind.catchUp();
        expect(published).toEqual([next!.seq]);
      },
    );
  });

  describe('a reader behind the cutoff, while its store runs a scheduler', () => {
    // Memory and SQLite: a reader that is not the running scheduler (the CLI beside
    // `planflow run`) reads only when asked, and keeps a live window of one hour.
    const calendar = { timeZone: 'UTC', maxPerDay: 3, exclusiveInstants: false } as const;
    const DAY_20 = at(20 * DAY).slice(0, 10);

    /**
     * A running scheduler on `store`: one run on day 20 (`farId`; cancelled before an archive
     * run, which cannot pass a live occurrence's entries), and with `beat` an hourly task
     * outside the calendar.
     */
    async function writer(store: ArchivingStore, clock: TestClock, beat = false) {
      const scheduler = createScheduler({
        store,
        clock,
        leaseTtlMs: DAY,
        calendar,
        handlers: { ok: async () => {} },
      });
      await scheduler.ready;
      if (beat) {
        await scheduler.defineTask({
          id: 'beat',
          title: 'Beat',
          handler: 'ok',
          recurrence: { everyMs: HOUR, anchor: at(MINUTE) },
          calendar: 'ignore',
        });
      }
      await scheduler.defineTask({ id: 'far', title: 'Far', startAt: at(20 * DAY + HOUR) });
      await scheduler.start();
      const [far] = (await scheduler.listOccurrences({ taskId: 'far' })).items;
      return { scheduler, farId: far!.id };
    }

    /**
     * Cancels the day-20 run, runs the writer ten days on and stops it; with `archive`, then
     * archives what is older than three days.
     */
    async function tenDaysThenArchive(
      store: ArchivingStore,
      clock: TestClock,
      running: Awaited<ReturnType<typeof writer>>,
      archive = true,
    ) {
      await running.scheduler.cancelOccurrence(running.farId);
      await clock.advanceAsync(10 * DAY);
      await running.scheduler.stop();
      if (archive) await store.archive({ before: clock.now() - 3 * DAY });
    }

    it.skipIf(kind.name === 'postgres')(
      'names the occurrences that left its live set and were archived with their records',
      async () => {
        const clock = new TestClock(T0);
        const store = await kind.open(clock);
        const running = await writer(store, clock, true);
        await clock.advanceAsync(30 * MINUTE);
        const reported: ProjectionChanges[] = [];
        const behind = await EventLog.open(store, { onProjected: (c) => reported.push(c) });
        const heldAtOpen = [...behind.model.liveRecords()].map((r) => r.occurrence.id);
        await tenDaysThenArchive(store, clock, running);
        await behind.catchUp();
        // The first report is the replacement; the live entries after the archive follow.
        const [replaced, ...folded] = reported;
        expect(replaced!.archivedIds).toBeDefined();
        expect(folded.every((changes) => changes.archivedIds === undefined)).toBe(true);
        // The beat's run of the first hour settled and was archived with its record: the
        // report names it, as nothing else can. The cancelled day-20 run left the live set
        // too; its record stays until its own day is older than the cutoff.
        expect(heldAtOpen).toHaveLength(2);
        const beatId = heldAtOpen.find((id) => id !== running.farId)!;
        expect(await store.getRecord(beatId)).toBeUndefined();
        expect([...replaced!.archivedIds!]).toEqual([beatId]);
        expect(replaced!.records.has(beatId)).toBe(false);
        expect(replaced!.records.get(running.farId)?.execution.state).toBe('cancelled');
        const head = await store.head();
        expect(behind.model.lastSeq).toBe(head.seq);
      },
    );

    it.skipIf(kind.name === 'postgres').each([
      ['replaced, as the entries it had not folded were archived', true],
      ['folded, with the moved one left in the store', false],
    ])(
      "counts the calendar's places of its live window again when its model is %s",
      async (_, archive) => {
        const clock = new TestClock(T0);
        const store = await kind.open(clock);
        const running = await writer(store, clock);
        // Opened with the day-20 run beyond its live window: its place is counted unnamed.
        const reader = createScheduler({ store, clock, leaseTtlMs: DAY, calendar });
        await reader.ready;
        // The writer cancels it and runs ten days on. Archived: no entry the reader then
        // reads is about it, so only the recount of the replaced model frees its place. Not
        // archived: the reader folds the cancellation, about an occurrence only the store
        // held, and the next command counts the far places again.
        await tenDaysThenArchive(store, clock, running, archive);
        // A one-shot task wanted at hour h of day 20, defined by the reader: the day its run
        // was placed on (the next day when day 20 is full).
        const define = async (hour: number) => {
          const id = `probe-${hour}`;
          await reader.defineTask({ id, title: id, startAt: at(20 * DAY + hour * HOUR) });
          const [first] = (await reader.listOccurrences({ taskId: id })).items;
          return first!.scheduledFor.slice(0, 10);
        };
        // The first decision is made on what the reader folded; its append reads in the rest
        // (replacing the model where the archive left a gap), and the places are counted
        // again before the next one: the cancelled run's place is free, and day 20 takes
        // three of the probes.
        expect(await define(2)).toBe(DAY_20);
        expect(await define(3)).toBe(DAY_20);
        expect(await define(4)).toBe(DAY_20);
        expect(await define(5)).toBe(at(21 * DAY).slice(0, 10));
        await reader.stop();
      },
    );
  });

  describe('a scheduler on an archived log', () => {
    it('runs on while its store archives on the retention cadence', async () => {
      const clock = new TestClock(T0);
      const runs: ArchiveResult[] = [];
      const failures: unknown[] = [];
      const store = await kind.open(clock, {
        keepFinishedFor: '2d',
        every: { ms: DAY },
        onArchived: (result) => runs.push(result),
        onError: (error) => failures.push(error),
      });
      const seen: string[] = [];
      const scheduler = createScheduler({
        store,
        clock,
        // Days of test time: a lease renewed every 5 s of it would cost a PostgreSQL round
        // trip each (no other scheduler competes here).
        leaseTtlMs: DAY,
        calendar: { timeZone: 'UTC', exclusiveInstants: false },
        handlers: { ok: async () => {} },
      });
      scheduler.events.subscribe((event) => seen.push(event.type));
      await scheduler.ready;
      await scheduler.defineTask({
        id: 'hourly',
        title: 'Hourly',
        handler: 'ok',
        recurrence: { everyMs: 60 * MINUTE, anchor: new Date(T0 + MINUTE).toISOString() },
      });
      await scheduler.start();
      await clock.advanceAsync(6 * DAY - 30 * MINUTE);
      await scheduler.stop();
      const segments = runs.filter((r) => r.segment !== undefined);
      expect(failures).toEqual([]);
      expect(segments.length).toBeGreaterThanOrEqual(3);
      const sources = segments.map((r) => kind.source(r));
      expect(await verifyArchive(sources, store)).toMatchObject({ ok: true });
      expect(await viewOf(await rebuiltOverArchive(store, sources), store)).toEqual(
        await inlineView(store),
      );
      // Every hour ran once; the scheduler folded the runs' entries as it went.
      const entries: StoredEvent[] = [];
      for await (const batch of readArchive(sources)) entries.push(...batch);
      entries.push(...(await liveEntries(store)));
      const triggers = entries.filter((e) => e.type === 'occurrence.triggered');
      expect(triggers).toHaveLength(6 * 24);
      expect(new Set(triggers.map((e) => e.stream)).size).toBe(triggers.length);
      expect(seen.filter((type) => type === 'log.archived').length).toBeGreaterThanOrEqual(2);
    });

    it('keeps the first attempt a live retry continues, so the retry presents its key', async () => {
      const clock = new TestClock(T0);
      const store = await kind.open(clock);
      const calls: string[] = [];
      const open = () =>
        createScheduler({
          store,
          clock,
          leaseTtlMs: DAY,
          calendar: { timeZone: 'UTC', exclusiveInstants: false },
          handlers: {
            flaky: async (_o, { attempt, idempotencyKey }) => {
              calls.push(idempotencyKey);
              if (attempt < 2) throw new Error('fails twice');
            },
          },
        });
      const first = open();
      await first.ready;
      await first.defineTask({
        id: 'flaky',
        title: 'Flaky',
        handler: 'flaky',
        startAt: new Date(T0 + DAY).toISOString(),
        retry: { maxRetries: 3, delayMs: 3 * DAY },
      });
      await first.start();
      // Retries 3 days apart: the first attempt is older than the read model's 2-day margin.
      await clock.advanceAsync(4 * DAY + MINUTE);
      await first.stop();
      // The first attempt failed, the first retry too; the second retry is waiting.
      const [root, retry1, retry2] = (await store.queryRecords(allRecords())).items;
      expect([root, retry1, retry2].map((r) => r?.execution.state)).toEqual([
        'retrying',
        'retrying',
        'scheduled',
      ]);
      const result = await store.archive({ before: clock.now() });
      expect(result.heldBack).toEqual({
        occurrenceId: root!.occurrence.id,
        fromSeq: root!.firstSeq,
      });
      expect(await store.getRecord(root!.occurrence.id)).toEqual(root);
      const second = open();
      await second.ready;
      await second.start();
      await clock.advanceAsync(3 * DAY);
      await second.stop();
      const key = `pf:flaky:${root!.occurrence.id}`;
      expect(calls).toEqual([key, key, key]);
    });
  });
});

describe('holding back', () => {
  it('stops before the first entry of the oldest live occurrence', async () => {
    const clock = new TestClock(T0);
    const { memoryStore } = await import('../../src/log/memoryStore.js');
    const store = memoryStore({ clock });
    const task = parseTask({ id: 'far', title: 'Far' }, undefined, new Date(T0));
    await store.append([{ type: 'task.defined', stream: 'task:far', data: { task } }]);
    const [scheduled] = await store.append([
      {
        type: 'occurrence.scheduled',
        stream: 'occurrence:o_far',
        data: {
          occurrence: {
            id: 'o_far',
            taskId: 'far',
            scheduledFor: new Date(T0 + 400 * DAY).toISOString(),
            attempt: 0,
            cause: 'initial',
          },
        },
      },
    ]);
    await clock.advanceAsync(10 * DAY);
    await store.append([
      { type: 'scheduler.started', stream: 'scheduler', data: { instanceId: 'a' } },
    ]);
    const result: ArchiveResult = await store.archive({ before: clock.now() });
    expect(result.heldBack).toEqual({ occurrenceId: 'o_far', fromSeq: scheduled!.seq });
    expect(result.segment).toMatchObject({ firstSeq: 1, lastSeq: scheduled!.seq - 1 });
  });
});

describe('verify on the SQLite store', () => {
  const sqlite = kinds.find((k) => k.name === 'sqlite')!;

  it('refuses a segments table edited to start the chain elsewhere', async () => {
    const clock = new TestClock(T0);
    const store = (await sqlite.open(clock)) as ArchivingStore & { path: string };
    await schedulerHistory(store, clock, 5);
    await store.archive({ before: clock.now() - DAY });
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(store.path);
    // Its first hex digit changed, whatever it was (a digit replaced by itself would not be).
    db.prepare(
      "UPDATE segments SET sha256 = (CASE WHEN substr(sha256, 1, 1) = 'f' THEN 'e' ELSE 'f' END) || substr(sha256, 2)",
    ).run();
    db.close();
    const result = await store.verify();
    expect(result).toMatchObject({ ok: false, problem: 'segment' });
    expect(result.ok || result.reason).toMatch(/segments table was edited/);
  });

  it('deleting a segment file leaves a live log that says where its archive went', async () => {
    const clock = new TestClock(T0);
    const store = await sqlite.open(clock);
    await schedulerHistory(store, clock, 5);
    const result = await store.archive({ before: clock.now() - DAY });
    rmSync(result.path!);
    const found = await verifyArchive([result.path!], store);
    expect(found).toMatchObject({ ok: false, problem: 'segment' });
    expect(found.ok || found.reason).toMatch(/does not exist/);
    await expect(
      (async () => {
        for await (const _ of readArchive([result.path!])) void _;
      })(),
    ).rejects.toBeInstanceOf(CorruptLogError);
  });
});
