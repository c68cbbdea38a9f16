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

  /** Execution records of the task's occurrences still waiting to trigger. */
  waitingOf(taskId: string): Execution[] {
    const ids = this.#waiting.get(taskId);
    if (ids === undefined) return [];
    return [...ids].map((id) => this.record(id)!.execution);
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
    const ids = this.#waiting.get(taskId);
    if (ids === undefined) return false;
    for (const id of ids) {
      if (id === exceptId) continue;
      const execution = this.getExecution(id);
      if (execution !== undefined && matches(execution)) return true;
    }
    return false;
  }
}

/**
 * True while an occurrence waits to trigger: recorded `scheduled` and never triggered. The
 * one definition of "pending" the runtime and the CLI decide by.
 */
export function isWaiting(execution: Execution): boolean {
  return execution.state === 'scheduled' && !execution.triggered;
}
