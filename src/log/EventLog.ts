import type { Observable } from 'rxjs';
// rxjs's own module for the class, not its index: see docs/performance.md ("Restart").
import { Subject } from 'rxjs/internal/Subject';
import { CorruptLogError } from '../domain/errors.js';
import type { EntryQuery, Page, RecordQuery } from '../domain/types.js';
import type { ArchivingStore } from './ArchivingStore.js';
import type { AppendOptions, EventStore, Place } from './EventStore.js';
import type { NewEvent, StoredEvent } from './events.js';
import type { FarSummary, FarWaiting } from './FarWaiting.js';
import { watchesHead } from './HeadWatching.js';
import { LiveModel } from './LiveModel.js';
import { isLive, type OccurrenceRecord, type ProjectionChanges } from './projection.js';
import { type VerifyResult, verifyChain } from './verifyChain.js';
import {
  resolveVerifyOptions,
  type VerifyOptions,
  verifyCheckpoints,
} from './verifyCheckpoints.js';
import type { WaitingRecord } from './waitingRecord.js';

/**
 * Entries per batch when catching up, asked for explicitly rather than left to a store's
 * default: a batch of a few thousand parsed entries outlives the young generation, so it gets
 * promoted and dies in the old one. See docs/performance.md.
 */
const FOLD_BATCH_SIZE = 500;

/** Options of {@link EventLog.open}. */
export type EventLogOptions = Readonly<{
  /**
   * Hears every append the store rejected, before the caller does: the one place a
   * scheduler learns that its store stopped accepting writes, whichever command appended.
   * Called synchronously; it must not throw.
   */
  onAppendFailed?: (error: unknown) => void;
  /**
   * Hears what each run of entries changed, after the live model folded it and before the
   * entries are published: settled occurrences included, which the live model no longer
   * holds. Called synchronously; it must not throw.
   */
  onProjected?: (changes: ProjectionChanges) => void;
  /**
   * Hears what each run of entries this log did not append itself changed (another writer's,
   * read in by {@link EventLog.catchUp}), after `onProjected`, with the entries. Called
   * synchronously; it must not throw.
   */
  onRemote?: (changes: ProjectionChanges, entries: readonly StoredEvent[]) => void;
  /**
   * Open with a live window ending at this instant: waiting occurrences due at or after it
   * stay in the store until adopted (see {@link EventLog.advanceWindow}). Only a store with
   * `farWaiting` that does not watch other writers applies it; others load everything.
   */
  windowEndMs?: number;
  /**
   * Hears the waiting occurrences the live model adopted from the store (they held their
   * places among the `farPlaces` until now). Called synchronously; it must not throw.
   */
  onAdopted?: (adopted: readonly (OccurrenceRecord | WaitingRecord)[]) => void;
  /**
   * Hears that the live model was replaced by the store's read model at a later head: the
   * entries this log had not folded left the live log (archived) first, so what was kept in
   * step with each fold (a calendar occupancy) must be rebuilt from the model and the store.
   * Called after `onProjected` has heard the replacement and awaited before the catch-up
   * goes on; a rejection fails the catch-up.
   */
  onReplaced?: () => Promise<void>;
  /**
   * Hears (once until {@link EventLog.takeFarTouched} is next called) that another writer's
   * entries moved on occurrences only the store held: the places counted for them should be
   * counted again before the next decision. Called synchronously; it must not throw.
   */
  onFarTouched?: () => void;
}>;

/** A live set without a window leaves nothing out. */
const NOTHING_FAR: FarSummary = Object.freeze({ byTask: [], quarters: [], instants: [] });

/** Entry types about an occurrence that already exists (every one but its scheduling). */
const aboutExisting = (event: NewEvent): string | undefined =>
  event.type !== 'occurrence.scheduled' && event.type.startsWith('occurrence.')
    ? (event.data as { occurrenceId: string }).occurrenceId
    : undefined;

/** A store that can check its own chain more cheaply than a generic walk (e.g. from raw rows). */
type SelfVerifyingStore = EventStore & {
  verify(options?: VerifyOptions): Promise<VerifyResult>;
};

/**
 * The log as the rest of PlanFlow sees it: appends go to the store (which projects them into
 * its read model in the same transaction), and every stored entry is folded into the
 * in-memory {@link LiveModel} and published on {@link EventLog.events} in sequence order,
 * exactly once. Settled history is answered by the store.
 */
export class EventLog {
  readonly store: EventStore;
  readonly model: LiveModel;
  readonly #subject = new Subject<StoredEvent>();
  /** Stored entries that arrived ahead of an earlier one (concurrent appends), keyed by seq. */
  readonly #pending = new Map<number, StoredEvent>();
  /** Seqs in {@link #pending} that were read in rather than appended by us. */
  readonly #pendingRemote = new Set<number>();
  /** Appends of ours not yet answered by the store. */
  #inFlight = 0;
  readonly #onAppendFailed: ((error: unknown) => void) | undefined;
  readonly #onProjected: ((changes: ProjectionChanges) => void) | undefined;
  readonly #onRemote: EventLogOptions['onRemote'];
  /** The highest head another writer's commit was announced with (a watching store). */
  #heardSeq = 0;
  #catchingUp: Promise<void> | undefined;
  #unwatch: (() => void) | undefined;
  readonly #onAdopted: EventLogOptions['onAdopted'];
  readonly #onReplaced: EventLogOptions['onReplaced'];
  readonly #onFarTouched: EventLogOptions['onFarTouched'];
  /** The store's reads of what the window left out, when it was opened with one. */
  readonly #farReads: FarWaiting | undefined;
  /** What the window left out at open, counted, until taken. */
  #farAtOpen: FarSummary | undefined;
  /**
   * Set when another writer's entry was about an occurrence only the store held: its place
   * may have been freed among the far places, which only a recount from the store can tell.
   */
  #farTouched = false;

  /**
   * Every appended entry, in sequence order, after it is durable and folded into the model.
   * An rxjs `Observable`; `subscribe(fn)` works without importing rxjs.
   */
  readonly events: Observable<StoredEvent>;

  private constructor(store: EventStore, model: LiveModel, options: EventLogOptions) {
    this.store = store;
    this.model = model;
    this.#onAppendFailed = options.onAppendFailed;
    this.#onProjected = options.onProjected;
    this.#onRemote = options.onRemote;
    this.#onAdopted = options.onAdopted;
    this.#onReplaced = options.onReplaced;
    this.#onFarTouched = options.onFarTouched;
    this.#farReads = model.windowEndMs === Number.POSITIVE_INFINITY ? undefined : store.farWaiting;
    this.events = this.#subject.asObservable();
  }

  /**
   * Opens a log over `store`: the live set comes from the store's read model, so opening
   * costs what is live, not how long the history is.
   */
  static async open(store: EventStore, options: EventLogOptions = {}): Promise<EventLog> {
    const windowed =
      options.windowEndMs !== undefined &&
      options.windowEndMs !== Number.POSITIVE_INFINITY &&
      store.farWaiting !== undefined &&
      !watchesHead(store);
    const state = await store.loadLive(
      windowed ? { waitingBeforeMs: options.windowEndMs! } : undefined,
    );
    const log = new EventLog(store, new LiveModel(state), options);
    log.#farAtOpen = state.far;
    // A store that hears other writers' commits (PostgreSQL) announces each new head; the
    // entries are read in as a gap is: through catchUp.
    if (watchesHead(store)) log.#unwatch = store.watchHead((seq) => log.#heard(seq));
    return log;
  }

  /**
   * Another writer's commit (or our own) moved the head to `seq`. While an append of ours is
   * in flight the entries wait for it to finish, so ours are folded and published by the
   * append that stored them, as without a watching store.
   */
  #heard(seq: number): void {
    if (seq > this.#heardSeq) this.#heardSeq = seq;
    if (this.#inFlight === 0) this.#catchUpHeard();
  }

  #catchUpHeard(): void {
    if (this.#catchingUp !== undefined || this.#heardSeq <= this.model.lastSeq) return;
    this.#catchingUp = this.catchUp()
      // A failed read is retried by the next announcement or append; it is not an append
      // failure, so nothing else hears of it.
      .catch(() => undefined)
      .finally(() => {
        this.#catchingUp = undefined;
        if (this.#inFlight === 0) this.#catchUpHeard();
      });
  }

  /**
   * What the window left out at open, counted (handed out once, for the occupancy; nothing
   * without a window).
   */
  takeFarAtOpen(): FarSummary {
    const far = this.#farAtOpen ?? NOTHING_FAR;
    this.#farAtOpen = undefined;
    return far;
  }

  /**
   * True (once) when another writer's entries moved on occurrences the window left in the
   * store since the last call: the far places should be counted again (`farPlacesNow`).
   */
  takeFarTouched(): boolean {
    const touched = this.#farTouched;
    this.#farTouched = false;
    return touched;
  }

  /** The store's reads of what the window leaves out, while it leaves something out. */
  get #far(): FarWaiting | undefined {
    return this.model.windowEndMs === Number.POSITIVE_INFINITY ? undefined : this.#farReads;
  }

  /**
   * The waiting occurrences due at or after the window's end as the store has them now (those
   * the model adopted included): for recounting.
   */
  async farNow(instants = false): Promise<FarSummary> {
    return this.#far === undefined
      ? NOTHING_FAR
      : this.#far.summary(this.model.windowEndMs, instants);
  }

  /**
   * Moves the live window's end to `untilMs`: the waiting occurrences due before it that the
   * store alone held are adopted into the live model, and returned (to be armed).
   */
  async advanceWindow(untilMs: number): Promise<readonly (OccurrenceRecord | WaitingRecord)[]> {
    const fromMs = this.model.windowEndMs;
    if (this.#far === undefined || untilMs <= fromMs) return [];
    const read = await this.#far.load({ fromMs, toMs: untilMs });
    return this.#adopted(this.model.adopt(read, { windowEndMs: untilMs }));
  }

  /**
   * Makes every waiting occurrence of the task part of the live model, however far ahead:
   * asked before anything decides about all of a task's waiting occurrences (its series,
   * its update, removal or pause). Returns the ones adopted.
   */
  async adoptTask(taskId: string): Promise<readonly (OccurrenceRecord | WaitingRecord)[]> {
    if (this.#far === undefined || this.model.isTaskComplete(taskId)) return [];
    const fromMs = this.model.windowEndMs;
    const read = await this.#far.load({ fromMs, taskId });
    return this.#adopted(this.model.adopt(read, { taskId }));
  }

  /**
   * Adopts the listed occurrences the model does not hold, when the store has them waiting:
   * before a command decides about one by its id (cancel it, trigger it by hand).
   */
  async adoptOccurrences(ids: readonly string[]): Promise<void> {
    if (this.#far === undefined) return;
    const found: OccurrenceRecord[] = [];
    for (const id of ids) {
      if (this.model.holds(id)) continue;
      const record = await this.store.getRecord(id);
      if (record !== undefined && isLive(record.execution)) found.push(record);
    }
    this.#adopted(this.model.adopt(found));
  }

  #adopted(
    adopted: readonly (OccurrenceRecord | WaitingRecord)[],
  ): readonly (OccurrenceRecord | WaitingRecord)[] {
    if (adopted.length > 0) this.#onAdopted?.(adopted);
    return adopted;
  }

  /**
   * Appends atomically, then folds and publishes the stored entries. With a window, an
   * occurrence an entry is about is adopted first when only the store holds it, so the fold
   * (and whoever hears what it changed) sees the record it moves on.
   */
  async append(
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): Promise<readonly StoredEvent[]> {
    if (this.#far !== undefined) {
      const missing: string[] = [];
      for (const event of events) {
        const id = aboutExisting(event);
        if (id !== undefined && !this.model.holds(id)) missing.push(id);
      }
      if (missing.length > 0) await this.adoptOccurrences(missing);
    }
    this.#inFlight++;
    let stored: readonly StoredEvent[];
    try {
      stored = await this.store.append(events, options);
    } catch (error) {
      this.#onAppendFailed?.(error);
      throw error;
    } finally {
      this.#inFlight--;
    }
    for (const event of stored) this.#accept(event, false);
    // A gap no append of ours can fill was written by another process: read it in.
    if (this.#inFlight === 0 && this.#pending.size > 0) await this.catchUp();
    if (this.#inFlight === 0) this.#catchUpHeard();
    return stored;
  }

  /**
   * Folds in and publishes every entry the store holds beyond the model, e.g. entries
   * another process appended to the same file. Appends call it by themselves when they
   * see a gap; a reader may call it to refresh.
   */
  async catchUp(): Promise<void> {
    for (;;) {
      const fromSeq = this.model.lastSeq + 1;
      let expected = fromSeq;
      let gap: readonly [number, number] | undefined;
      for await (const batch of this.store.read({ fromSeq, batchSize: FOLD_BATCH_SIZE })) {
        const first = batch[0];
        if (first !== undefined && first.seq > expected) {
          gap = [expected, first.seq - 1];
          break;
        }
        for (const event of batch) this.#accept(event, true);
        expected = (batch.at(-1)?.seq ?? expected - 1) + 1;
      }
      if (gap === undefined) return;
      await this.#skipArchived(gap[0], gap[1]);
    }
  }

  /**
   * Entries `fromSeq..toSeq` left the live log before this log read them: an archive run
   * (another instance's, or this store's retention) moved them into a segment while this log
   * was behind. They cannot be folded, so the model is replaced by the store's read
   * model, which already holds what they did (with a live window, the same window: what is
   * due after its end stays in the store, counted); the rest is read in after it. What
   * changed is reported through `onProjected` and `onRemote` — every task and live
   * occurrence, the occurrences that settled meanwhile as the store has them, and in
   * `archivedIds` those that left the live set and whose records were archived too — then
   * `onReplaced` is awaited. The skipped entries are not published on {@link events}.
   * Entries missing with no segment holding them are a `CorruptLogError`: nothing is folded
   * over a gap.
   */
  async #skipArchived(fromSeq: number, toSeq: number): Promise<void> {
    const store = this.store as Partial<ArchivingStore>;
    const archivedTo =
      typeof store.segments === 'function' ? ((await store.segments()).at(-1)?.lastSeq ?? 0) : 0;
    if (archivedTo < toSeq) {
      throw new CorruptLogError(
        fromSeq,
        `EventLog: entries ${fromSeq}..${toSeq} are missing from the store and no archive segment holds them (the log is archived up to entry #${archivedTo}): entries were removed. Nothing was folded past entry #${fromSeq - 1}; check the log with planflow verify --full`,
        { damage: 'chain' },
      );
    }
    const windowed = this.#far !== undefined;
    const state = await this.store.loadLive(
      windowed ? { waitingBeforeMs: this.model.windowEndMs } : undefined,
    );
    const { changes, departed } = this.model.replace(state);
    const records = new Map(changes.records);
    const archivedIds = new Set<string>();
    for (const id of departed) {
      const record = await this.store.getRecord(id);
      if (record === undefined) archivedIds.add(id);
      else records.set(id, record);
    }
    const replaced: ProjectionChanges = { ...changes, records, archivedIds };
    for (const seq of this.#pending.keys()) {
      if (seq > this.model.lastSeq) continue;
      this.#pending.delete(seq);
      this.#pendingRemote.delete(seq);
    }
    // The occupancy is rebuilt (onReplaced) from the store's counts as of now: a recount
    // asked before the replacement is answered by it.
    this.#farTouched = false;
    this.#onProjected?.(replaced);
    await this.#onReplaced?.();
    this.#onRemote?.(replaced, []);
    this.#drain();
  }

  /** Folds `event` in once every earlier one is; `remote`: read in, not appended by us. */
  #accept(event: StoredEvent, remote: boolean): void {
    if (event.seq <= this.model.lastSeq) return;
    this.#pending.set(event.seq, event);
    if (remote && (this.#onRemote !== undefined || this.#far !== undefined)) {
      this.#pendingRemote.add(event.seq);
    }
    this.#drain();
  }

  /** Folds and publishes the pending entries that continue the model without a gap. */
  #drain(): void {
    const run: StoredEvent[] = [];
    let anyRemote = false;
    for (let next = this.#pending.get(this.model.lastSeq + 1); next !== undefined; ) {
      this.#pending.delete(next.seq);
      if (this.#pendingRemote.delete(next.seq)) anyRemote = true;
      run.push(next);
      next = this.#pending.get(next.seq + 1);
    }
    if (run.length === 0) return;
    if (anyRemote && this.#far !== undefined && !this.#farTouched) {
      this.#farTouched = run.some((entry) => {
        const id = aboutExisting(entry);
        return id !== undefined && !this.model.holds(id);
      });
      if (this.#farTouched) this.#onFarTouched?.();
    }
    const changes = this.model.apply(run);
    this.#onProjected?.(changes);
    if (anyRemote) this.#onRemote?.(changes, run);
    for (const entry of run) this.#subject.next(entry);
  }

  /** An occurrence with its execution record: from the live set, else from the store. */
  async record(occurrenceId: string): Promise<OccurrenceRecord | undefined> {
    return this.model.record(occurrenceId) ?? (await this.store.getRecord(occurrenceId));
  }

  /** {@link record} of several ids at once, by id; unknown ids are left out. */
  async records(ids: Iterable<string>): Promise<Map<string, OccurrenceRecord>> {
    const found = new Map<string, OccurrenceRecord>();
    for (const id of ids) {
      if (found.has(id)) continue;
      const record = await this.record(id);
      if (record !== undefined) found.set(id, record);
    }
    return found;
  }

  /** Occurrences and their execution records, from the store's read model. */
  queryRecords(query: RecordQuery): Promise<Page<OccurrenceRecord>> {
    return this.store.queryRecords(query);
  }

  /**
   * Entries about a task (its definition changes and all of its occurrences' entries) or
   * about one occurrence, in log order. Read from the store, so it is the recorded truth.
   */
  history(query: EntryQuery): Promise<Page<StoredEvent>> {
    return this.store.queryHistory(query);
  }

  /** Occurrences holding a calendar place from `sinceMs` on (see `EventStore.placesSince`). */
  placesSince(sinceMs: number): Promise<readonly Place[]> {
    return this.store.placesSince(sinceMs);
  }

  /**
   * Checks the hash chain (all of it with `full`; a store with a verified mark otherwise
   * walks what follows it) and, with `options`, the signed checkpoints against a public key
   * and an anchored head. A store that checks itself does it its own way.
   */
  async verify(options?: VerifyOptions): Promise<VerifyResult> {
    const store = this.store as Partial<SelfVerifyingStore>;
    if (typeof store.verify === 'function') return store.verify(options);
    resolveVerifyOptions('EventLog', options);
    if (options === undefined) return verifyChain(this.store.read());
    // One read: the hashes an anchored head is looked up in are kept as the chain is walked.
    const hashes = new Map<number, string>();
    const source = this.store;
    async function* keepingHashes() {
      for await (const batch of source.read()) {
        for (const e of batch) hashes.set(e.seq, e.hash);
        yield batch;
      }
    }
    const chain = await verifyChain(keepingHashes());
    return verifyCheckpoints(chain, { checkpoints: [], hashAt: (seq) => hashes.get(seq) }, options);
  }

  /** Completes the event stream. The store is closed by whoever opened it. */
  complete(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#subject.complete();
  }
}
