import type {
  CalendarConfig,
  Execution,
  ExecutionState,
  Occurrence,
  SchedulerStatus,
  Task,
} from '../domain/types.js';
import type { LiveState } from './EventStore.js';
import type { StoredEvent } from './events.js';
import {
  isLive,
  type OccurrenceRecord,
  type ProjectionChanges,
  type ProjectionSource,
  projectEntries,
} from './projection.js';
import { compactWaiting, expandWaiting, type WaitingRecord } from './waitingRecord.js';

/** What the live set keeps per occurrence: a running one's full record, or a waiting one's compact form. */
type Kept = OccurrenceRecord | WaitingRecord;

/** The full record of what memory keeps. */
function expand(kept: Kept): OccurrenceRecord {
  return 'execution' in kept ? kept : expandWaiting(kept);
}

/** What memory keeps of a record: its compact form when it has one. */
function compact(record: OccurrenceRecord): Kept {
  return compactWaiting(record) ?? record;
}

/**
 * What deciding reads, in memory: tasks, the calendar, the recorded status and the live set
 * (occurrences waiting to trigger or running). It starts from the store's {@link LiveState}
 * and folds every later entry with `projectEntries`, the same fold the store's projection
 * runs; an occurrence leaves it as soon as it settles, so memory grows with the work in hand,
 * not with history. Settled occurrences are read from the store (`EventLog.record`).
 *
 * Entities handed out are frozen; the collections are private.
 */
export class LiveModel implements ProjectionSource {
  readonly #tasks = new Map<string, Task>();
  readonly #live = new Map<string, Kept>();
  /**
   * Per task, the occurrences still waiting to trigger (`scheduled`, never triggered), so
   * that "does this task's series continue?" is answered without scanning anything else.
   */
  readonly #waiting = new Map<string, Set<string>>();
  #calendar: CalendarConfig | undefined;
  #status: SchedulerStatus;
  #lastSeq: number;
  /**
   * The live window's end: waiting occurrences due at or after it may be in the store only
   * (loaded without them, and not adopted since). `Infinity` when the whole live set is here.
   */
  #windowEndMs = Number.POSITIVE_INFINITY;
  /** Per task, how many of its waiting occurrences are in the store only (none: not listed). */
  readonly #farByTask = new Map<string, number>();

  constructor(state: LiveState) {
    this.#status = state.status;
    this.#lastSeq = state.head.seq;
    this.#load(state);
  }

  #load(state: LiveState): void {
    for (const task of state.tasks) this.#tasks.set(task.id, task);
    for (const record of state.live) {
      if ('execution' in record) this.#keep(record);
      else this.#keepWaiting(record);
    }
    this.#calendar = state.calendar;
    this.#status = state.status;
    this.#lastSeq = state.head.seq;
    this.#windowEndMs = state.waitingBeforeMs ?? Number.POSITIVE_INFINITY;
    this.recountFar(state.far?.byTask ?? []);
  }

  /**
   * Visits each task with waiting occurrences the window leaves in the store, with how many.
   */
  forEachFar(visit: (taskId: string, count: number) => void): void {
    for (const [taskId, count] of this.#farByTask) visit(taskId, count);
  }

  /**
   * Sets how many waiting occurrences the store alone holds, per task (at open, or a recount
   * after another writer moved on some of them); with none left, the whole live set is here
   * from now on.
   */
  recountFar(byTask: Iterable<readonly [taskId: string, count: number]>): void {
    this.#farByTask.clear();
    for (const [taskId, count] of byTask) if (count > 0) this.#farByTask.set(taskId, count);
    this.#closeIfComplete();
  }

  #closeIfComplete(): void {
    if (this.#farByTask.size === 0) this.#windowEndMs = Number.POSITIVE_INFINITY;
  }

  /**
   * Waiting occurrences due at or after this may be in the store only; everything live before
   * it (and every triggered occurrence) is here. `Infinity`: the whole live set is here.
   */
  get windowEndMs(): number {
    return this.#windowEndMs;
  }

  /** True when the occurrence is in the live set here (adopted or folded in). */
  holds(occurrenceId: string): boolean {
    return this.#live.has(occurrenceId);
  }

  /** True when every waiting occurrence of the task is here, however far ahead. */
  isTaskComplete(taskId: string): boolean {
    return !this.#farByTask.has(taskId);
  }

  /**
   * Takes in waiting occurrences read from the store that this model left out (the next
   * stretch of the window, a task's far ones, one a command is about). One already here is
   * skipped (what this model folded is newer than a read), and so is one first recorded after
   * the last entry folded (its entry will be folded in). Returns the ones taken in.
   * `windowEndMs`: they are every waiting occurrence due before it; `taskId`: they are every
   * waiting occurrence of that task from the window's end on.
   */
  adopt(
    records: readonly Kept[],
    covers: Readonly<{ windowEndMs?: number; taskId?: string }> = {},
  ): Kept[] {
    const adopted: Kept[] = [];
    for (const kept of records) {
      const id = kept.occurrence.id;
      if (this.#live.has(id) || kept.firstSeq > this.#lastSeq) continue;
      if ('execution' in kept) {
        if (!isWaiting(kept.execution)) continue;
        this.#keep(kept);
      } else {
        this.#keepWaiting(kept);
      }
      adopted.push(kept);
    }
    // Each one adopted was one of those the store alone held.
    for (const kept of adopted) {
      const taskId = kept.occurrence.taskId;
      const left = (this.#farByTask.get(taskId) ?? 0) - 1;
      if (left > 0) this.#farByTask.set(taskId, left);
      else this.#farByTask.delete(taskId);
    }
    if (covers.taskId !== undefined) this.#farByTask.delete(covers.taskId);
    if (covers.windowEndMs !== undefined && covers.windowEndMs > this.#windowEndMs) {
      this.#windowEndMs = covers.windowEndMs;
    }
    this.#closeIfComplete();
    return adopted;
  }

  /**
   * Replaces everything the model holds by `state`, the store's read model at a later head:
   * for a reader whose next entries left the live log (archived) before it folded them, so
   * no fold can bring it there. Returns what changed as one run of entries would report it —
   * every task defined now or removed, every occurrence live now — and the ids of the
   * occurrences live before and not now (settled meanwhile), whose records the caller reads
   * from the store.
   */
  replace(state: LiveState): Readonly<{ changes: ProjectionChanges; departed: string[] }> {
    if (state.head.seq < this.#lastSeq) {
      throw new RangeError(
        `LiveModel: cannot go back from entry #${this.#lastSeq} to #${state.head.seq}`,
      );
    }
    const tasksBefore = [...this.#tasks.keys()];
    const liveBefore = [...this.#live.keys()];
    this.#tasks.clear();
    this.#live.clear();
    this.#waiting.clear();
    this.#load(state);
    const tasks = new Map<string, Task | null>(state.tasks.map((task) => [task.id, task]));
    const removedTasks = new Set(tasksBefore.filter((id) => !this.#tasks.has(id)));
    for (const id of removedTasks) tasks.set(id, null);
    const records = new Map<string, OccurrenceRecord>();
    for (const [id, kept] of this.#live) records.set(id, expand(kept));
    const changes: ProjectionChanges = {
      tasks,
      removedTasks,
      records,
      calendar: state.calendar,
      status: state.status,
      taskIds: [],
      repeatedTrigger: undefined,
      settledAlready: undefined,
    };
    return { changes, departed: liveBefore.filter((id) => !this.#live.has(id)) };
  }

  /** Sequence number of the last entry folded in (0 for an empty log). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  get calendar(): CalendarConfig | undefined {
    return this.#calendar;
  }

  /** The status the log records (`idle` until a scheduler first started on it). */
  get status(): SchedulerStatus {
    return this.#status;
  }

  task(taskId: string): Task | undefined {
    return this.#tasks.get(taskId);
  }

  record(occurrenceId: string): OccurrenceRecord | undefined {
    const kept = this.#live.get(occurrenceId);
    return kept === undefined ? undefined : expand(kept);
  }

  /**
   * Folds a run of entries in; they must continue the log without a gap, in order. Returns
   * what they changed, settled occurrences included (they leave the live set here).
   */
  apply(entries: readonly StoredEvent[]): ProjectionChanges {
    const first = entries[0];
    if (first === undefined) return projectEntries(entries, this);
    if (first.seq !== this.#lastSeq + 1) {
      throw new RangeError(
        `LiveModel: expected entry #${this.#lastSeq + 1}, got #${first.seq}; entries must be applied in order`,
      );
    }
    const changes = projectEntries(entries, this);
    this.#lastSeq = entries[entries.length - 1]!.seq;
    for (const id of changes.removedTasks) this.#tasks.delete(id);
    for (const [id, task] of changes.tasks) if (task !== null) this.#tasks.set(id, task);
    for (const record of changes.records.values()) {
      if (isLive(record.execution)) this.#keep(record);
      else this.#settle(record);
    }
    if (changes.calendar !== undefined) this.#calendar = changes.calendar;
    if (changes.status !== undefined) this.#status = changes.status;
    return changes;
  }

  #keep(record: OccurrenceRecord): void {
    const { occurrenceId, taskId } = record.execution;
    this.#live.set(occurrenceId, compact(record));
    const waiting = this.#waiting.get(taskId);
    if (isWaiting(record.execution)) {
      if (waiting === undefined) this.#waiting.set(taskId, new Set([occurrenceId]));
      else waiting.add(occurrenceId);
    } else {
      this.#unwait(taskId, occurrenceId);
    }
  }

  /** A waiting occurrence loaded in compact form, kept as it came. */
  #keepWaiting(waiting: WaitingRecord): void {
    const { id, taskId } = waiting.occurrence;
    this.#live.set(id, waiting);
    const ids = this.#waiting.get(taskId);
    if (ids === undefined) this.#waiting.set(taskId, new Set([id]));
    else ids.add(id);
  }

  /**
   * Visits where each live occurrence stands on the calendar (all of them hold a place:
   * waiting, or triggered), without rebuilding their records or making an object per place.
   */
  forEachLivePlace(visit: (occurrenceId: string, scheduledFor: string) => void): void {
    for (const [occurrenceId, kept] of this.#live)
      visit(occurrenceId, kept.occurrence.scheduledFor);
  }

  #settle(record: OccurrenceRecord): void {
    const { occurrenceId, taskId } = record.execution;
    this.#live.delete(occurrenceId);
    this.#unwait(taskId, occurrenceId);
  }

  #unwait(taskId: string, occurrenceId: string): void {
    const waiting = this.#waiting.get(taskId);
    if (waiting === undefined) return;
    waiting.delete(occurrenceId);
    if (waiting.size === 0) this.#waiting.delete(taskId);
  }

  listTasks(): readonly Task[] {
    return [...this.#tasks.values()];
  }

  getTask(id: string): Task | undefined {
    return this.#tasks.get(id);
  }

  /** A live occurrence (waiting or running); settled ones are in the store. */
  getOccurrence(id: string): Occurrence | undefined {
    return this.#live.get(id)?.occurrence;
  }

  /** A live occurrence's execution record; settled ones are in the store. */
  getExecution(occurrenceId: string): Execution | undefined {
    return this.record(occurrenceId)?.execution;
  }

  /** How many occurrences are live. */
  get liveCount(): number {
    return this.#live.size;
  }

  /** The live records in the given state(s) (all when none given), in the order kept. */
  *liveRecords(state?: ExecutionState): IterableIterator<OccurrenceRecord> {
    for (const kept of this.#live.values()) {
      // A compact one is waiting: `scheduled`. Only those asked for are expanded.
      const keptState = 'execution' in kept ? kept.execution.state : 'scheduled';
      if (state === undefined || keptState === state) yield expand(kept);
    }
  }

  /**
   * Visits every live occurrence still waiting to trigger (`scheduled`, never triggered) with
   * the time its execution is due, in the order kept, without rebuilding the compact records:
   * a restart's re-arming and missed check read 100 000 of them this way.
   */
  forEachWaiting(visit: (occurrence: Occurrence, scheduledFor: string) => void): void {
    for (const kept of this.#live.values()) {
      if (!('execution' in kept)) visit(kept.occurrence, kept.occurrence.scheduledFor);
      else if (isWaiting(kept.execution)) visit(kept.occurrence, kept.execution.scheduledFor);
    }
  }

  /**
   * Execution records of the task's occurrences still waiting to trigger. With a window, the
   * task's far ones must have been adopted first (`EventLog.adoptTask`).
   */
  waitingOf(taskId: string): Execution[] {
    this.#requireComplete(taskId);
    const ids = this.#waiting.get(taskId);
    if (ids === undefined) return [];
    // In the order first recorded, however they came here (loaded, folded or adopted).
    return [...ids]
      .map((id) => this.record(id)!)
      .sort((a, b) => a.firstSeq - b.firstSeq)
      .map((record) => record.execution);
  }

  /**
   * True when one of the task's occurrences other than `exceptId` still waits to trigger
   * (`scheduled`, never triggered) and `matches` it. Costs what the task has waiting.
   */
  hasWaiting(
    taskId: string,
    exceptId: string,
    matches: (execution: Execution) => boolean = () => true,
  ): boolean {
    this.#requireComplete(taskId);
    const ids = this.#waiting.get(taskId);
    if (ids === undefined) return false;
    for (const id of ids) {
      if (id === exceptId) continue;
      const execution = this.getExecution(id);
      if (execution !== undefined && matches(execution)) return true;
    }
    return false;
  }

  /** A question about all of a task's waiting occurrences, asked before they were adopted. */
  #requireComplete(taskId: string): void {
    if (this.isTaskComplete(taskId)) return;
    throw new RangeError(
      `LiveModel: task "${taskId}" may have waiting occurrences in the store only (due after ${new Date(this.#windowEndMs).toISOString()}); adopt them first (EventLog.adoptTask)`,
    );
  }
}

/**
 * True while an occurrence waits to trigger: recorded `scheduled` and never triggered. The
 * one definition of "pending" the runtime and the CLI decide by.
 */
export function isWaiting(execution: Execution): boolean {
  return execution.state === 'scheduled' && !execution.triggered;
}
