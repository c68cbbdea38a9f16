import type {
  CalendarConfig,
  Execution,
  Occurrence,
  OccurrenceFilter,
  SchedulerStatus,
  Task,
} from '../domain/types.js';
import type { StoredEvent } from './events.js';
import { evolveExecution } from './evolveExecution.js';

/**
 * One occurrence as the model keeps it. Internal and mutable: `execution` is replaced (never
 * edited) on each event, so one map lookup per event serves both the occurrence and its
 * record, and the frozen values handed out never change.
 */
type Entry = { readonly occurrence: Occurrence; execution: Execution };

/**
 * The read model the seed calls `ExecutionRepository`: tasks, the calendar, occurrences and
 * their executions, answered from memory. It is nothing but a fold of the log — `apply` is
 * the only way it changes, so a model folded from scratch equals one kept up to date live.
 *
 * Entities handed out are frozen; the collections are private.
 */
export class ReadModel {
  #tasks = new Map<string, Task>();
  /** Every occurrence with its latest execution record, in first-scheduled order. */
  #entries = new Map<string, Entry>();
  /** Occurrence ids per task, in first-scheduled order (an id is added once, never removed). */
  #byTask = new Map<string, string[]>();
  /**
   * Per task, the occurrences still waiting to trigger (`scheduled`, never triggered), so
   * that "does this task's series continue?" is answered without scanning its history.
   */
  #waiting = new Map<string, Set<string>>();
  #calendar: CalendarConfig | undefined;
  #status: SchedulerStatus = 'idle';
  #lastSeq = 0;

  /** Sequence number of the last event folded in (0 for an empty log). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  get calendar(): CalendarConfig | undefined {
    return this.#calendar;
  }

  get status(): SchedulerStatus {
    return this.#status;
  }

  /** Folds one event in. Events must arrive in sequence order, each exactly once. */
  apply(event: StoredEvent): void {
    if (event.seq !== this.#lastSeq + 1) {
      throw new RangeError(
        `ReadModel: expected event #${this.#lastSeq + 1}, got #${event.seq}; events must be applied in order`,
      );
    }
    this.#lastSeq = event.seq;
    switch (event.type) {
      case 'task.defined':
      case 'task.updated':
        this.#tasks.set(event.data.task.id, event.data.task);
        return;
      case 'task.removed':
        this.#tasks.delete(event.data.taskId);
        return;
      case 'calendar.configured':
        this.#calendar = event.data.calendar;
        return;
      case 'scheduler.started':
        this.#status = 'running';
        return;
      case 'scheduler.paused':
        this.#status = 'paused';
        return;
      case 'scheduler.stopped':
        this.#status = 'stopped';
        return;
      case 'scheduler.clock_jumped':
      case 'scheduler.degraded':
        return;
      case 'occurrence.scheduled': {
        const occ = event.data.occurrence;
        const entry = this.#entries.get(occ.id);
        if (entry !== undefined) {
          this.#evolve(entry, event);
          return;
        }
        const execution = evolveExecution(undefined, event, this.#taskOf);
        if (execution === undefined) return;
        this.#entries.set(occ.id, { occurrence: occ, execution });
        const ids = this.#byTask.get(occ.taskId);
        if (ids === undefined) this.#byTask.set(occ.taskId, [occ.id]);
        else ids.push(occ.id);
        this.#markWaiting(execution);
        return;
      }
      default: {
        // Events about an occurrence the log never scheduled change nothing.
        const entry = this.#entries.get(event.data.occurrenceId);
        if (entry !== undefined) this.#evolve(entry, event);
      }
    }
  }

  #evolve(entry: Entry, event: StoredEvent): void {
    const before = entry.execution;
    const after = evolveExecution(before, event, this.#taskOf) ?? before;
    entry.execution = after;
    if (isWaiting(before) !== isWaiting(after)) this.#markWaiting(after);
  }

  #markWaiting(execution: Execution): void {
    const { taskId, occurrenceId } = execution;
    const ids = this.#waiting.get(taskId);
    if (isWaiting(execution)) {
      if (ids === undefined) this.#waiting.set(taskId, new Set([occurrenceId]));
      else ids.add(occurrenceId);
    } else if (ids !== undefined) {
      ids.delete(occurrenceId);
      if (ids.size === 0) this.#waiting.delete(taskId);
    }
  }

  /** Allocated once: a rebuild calls it for every occurrence event. */
  readonly #taskOf = (id: string): Task | undefined => this.#tasks.get(id);

  listTasks(): readonly Task[] {
    return [...this.#tasks.values()];
  }

  getTask(id: string): Task | undefined {
    return this.#tasks.get(id);
  }

  getOccurrence(id: string): Occurrence | undefined {
    return this.#entries.get(id)?.occurrence;
  }

  getExecution(occurrenceId: string): Execution | undefined {
    return this.#entries.get(occurrenceId)?.execution;
  }

  /**
   * True when one of the task's occurrences other than `exceptId` still waits to trigger
   * (`scheduled`, never triggered) and `matches` it. Costs what the task has waiting, not
   * its history.
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
      const execution = this.#entries.get(id)?.execution;
      if (execution !== undefined && matches(execution)) return true;
    }
    return false;
  }

  /** Occurrences in the order they were first scheduled, optionally filtered. */
  listOccurrences(filter: OccurrenceFilter = {}): readonly Occurrence[] {
    return this.#select(filter).map((entry) => entry.occurrence);
  }

  /** Execution records in the order their occurrences were first scheduled. */
  listExecutions(filter: OccurrenceFilter = {}): readonly Execution[] {
    return this.#select(filter).map((entry) => entry.execution);
  }

  #select(filter: OccurrenceFilter): Entry[] {
    const entries =
      filter.taskId === undefined
        ? [...this.#entries.values()]
        : (this.#byTask.get(filter.taskId) ?? []).map((id) => this.#entries.get(id)!);
    if (filter.state === undefined) return entries;
    const states = typeof filter.state === 'string' ? [filter.state] : filter.state;
    return entries.filter((entry) => states.includes(entry.execution.state));
  }

  /**
   * A plain, comparable picture of the whole model. Two models folded from the same log
   * produce deep-equal snapshots; tests use this to prove live and rebuilt models agree.
   */
  snapshot(): Readonly<{
    lastSeq: number;
    status: SchedulerStatus;
    calendar: CalendarConfig | undefined;
    tasks: readonly Task[];
    occurrences: readonly Occurrence[];
    executions: readonly Execution[];
  }> {
    return {
      lastSeq: this.#lastSeq,
      status: this.#status,
      calendar: this.#calendar,
      tasks: this.listTasks(),
      occurrences: this.listOccurrences(),
      executions: this.listExecutions(),
    };
  }
}

/**
 * True while an occurrence waits to trigger: recorded `scheduled` and never triggered. The
 * one definition of "pending" the runtime and the CLI decide by.
 */
export function isWaiting(execution: Execution): boolean {
  return execution.state === 'scheduled' && !execution.triggered;
}
