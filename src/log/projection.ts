import type {
  CalendarConfig,
  Execution,
  ExecutionState,
  Occurrence,
  SchedulerStatus,
  Task,
} from '../domain/types.js';
import type { StoredEvent } from './events.js';
import { evolveExecution } from './evolveExecution.js';

/**
 * One occurrence as the projection keeps it: the occurrence as first recorded, its execution
 * record after every entry about it, and the sequence number of the entry that first
 * recorded it (the order `listExecutions` answers in).
 */
export type OccurrenceRecord = Readonly<{
  occurrence: Occurrence;
  execution: Execution;
  firstSeq: number;
}>;

/** What a projection step reads of the state before the entries it folds. */
export type ProjectionSource = Readonly<{
  task(taskId: string): Task | undefined;
  record(occurrenceId: string): OccurrenceRecord | undefined;
}>;

/**
 * What a run of entries changes in the projection, coalesced: each task and each occurrence
 * appears once, with its state after the last entry. A store writes these in the same
 * transaction as the entries (an inline projection); the live model applies them in memory.
 */
export type ProjectionChanges = Readonly<{
  /** New definitions by task id; `null` for a task that was removed. */
  tasks: ReadonlyMap<string, Task | null>;
  /**
   * Tasks removed by one of the entries (and possibly defined again after): a store drops
   * them before writing `tasks`, so a task defined anew is listed last, however the entries
   * were batched.
   */
  removedTasks: ReadonlySet<string>;
  /** Every occurrence an entry created or moved on, by id. */
  records: ReadonlyMap<string, OccurrenceRecord>;
  /** The calendar after the entries, when one of them configured it. */
  calendar: CalendarConfig | undefined;
  /** The scheduler's recorded status after the entries, when one of them changed it. */
  status: SchedulerStatus | undefined;
  /** Per entry, in order: the task it is about (`null` for scheduler and calendar entries). */
  taskIds: readonly (string | null)[];
  /**
   * The stream of the first `occurrence.triggered` among the entries for an occurrence the
   * projection already shows as triggered. A store refuses such a batch as a second trigger:
   * a guard of its own, apart from the storage's unique index.
   */
  repeatedTrigger: string | undefined;
  /**
   * The stream of the first entry that settles an occurrence no longer in the state it
   * settles: an outcome (`occurrence.completed`/`failed`) for one that is not running, or
   * `occurrence.missed` for one that no longer waits. Another writer settled it first (in a
   * fleet: a survivor recorded the run interrupted, the owner triggered what a peer thought
   * missed); a store refuses such a batch, so the log never holds two endings of one run.
   */
  settledAlready: string | undefined;
  /**
   * Only when a lagging reader's model was replaced by the store's read model (the entries
   * it had not folded were archived): the occurrences that left its live set and whose
   * records the store no longer holds (archived with them). Their places and actors go.
   */
  archivedIds?: ReadonlySet<string>;
}>;

/** The state each settling entry requires of its occurrence. */
const SETTLES_FROM: Readonly<Partial<Record<StoredEvent['type'], ExecutionState>>> = {
  'occurrence.completed': 'triggered',
  'occurrence.failed': 'triggered',
  'occurrence.missed': 'scheduled',
};

/**
 * True while an occurrence is part of the live set: it waits to trigger, or it triggered and
 * its outcome is not recorded yet. Everything else is settled history, kept by the store and
 * read on demand; memory keeps only the live set.
 */
export function isLive(execution: Execution): boolean {
  return execution.state === 'scheduled' || execution.state === 'triggered';
}

/** The task with its `paused` state set or cleared; the definition is untouched. */
function withPaused(task: Task, paused: boolean): Task {
  const { paused: _was, ...rest } = task;
  return Object.freeze(paused ? { ...rest, paused: true as const } : rest);
}

/**
 * Folds a run of stored entries (in sequence order) over the state `source` gives, and
 * returns what they change. Pure apart from reading `source`: the one definition of the read
 * model, shared by every store's inline projection, the live model and the reference rebuild,
 * so they cannot drift apart. Entries about an occurrence the log never scheduled change
 * nothing, as before.
 */
export function projectEntries(
  entries: readonly StoredEvent[],
  source: ProjectionSource,
): ProjectionChanges {
  const tasks = new Map<string, Task | null>();
  const removedTasks = new Set<string>();
  const records = new Map<string, OccurrenceRecord>();
  let calendar: CalendarConfig | undefined;
  let status: SchedulerStatus | undefined;
  let repeatedTrigger: string | undefined;
  let settledAlready: string | undefined;
  const taskIds: (string | null)[] = new Array(entries.length);
  const taskOf = (id: string): Task | undefined => {
    const changed = tasks.get(id);
    return changed === undefined ? source.task(id) : (changed ?? undefined);
  };
  const recordOf = (id: string): OccurrenceRecord | undefined =>
    records.get(id) ?? source.record(id);

  for (let i = 0; i < entries.length; i++) {
    const event = entries[i]!;
    taskIds[i] = null;
    switch (event.type) {
      case 'task.defined':
      case 'task.updated':
        // Defined again after a removal in this run: it goes after the others, as it would
        // had the entries been folded one by one.
        if (tasks.get(event.data.task.id) === null) tasks.delete(event.data.task.id);
        tasks.set(event.data.task.id, event.data.task);
        taskIds[i] = event.data.task.id;
        continue;
      case 'task.removed':
        tasks.set(event.data.taskId, null);
        removedTasks.add(event.data.taskId);
        taskIds[i] = event.data.taskId;
        continue;
      case 'task.paused':
      case 'task.resumed': {
        const id = event.data.taskId;
        const task = taskOf(id);
        taskIds[i] = id;
        if (task !== undefined) tasks.set(id, withPaused(task, event.type === 'task.paused'));
        continue;
      }
      // A fact about the task's slots, not about an occurrence: it changes nothing but is
      // the task's history.
      case 'task.slotsSkipped':
        taskIds[i] = event.data.taskId;
        continue;
      case 'calendar.configured':
        calendar = event.data.calendar;
        continue;
      case 'scheduler.started':
        status = 'running';
        continue;
      case 'scheduler.paused':
        status = 'paused';
        continue;
      case 'scheduler.stopped':
        status = 'stopped';
        continue;
      case 'scheduler.clock_jumped':
      case 'scheduler.degraded':
      // An archive run removes what its segment settled itself, in the transaction that
      // records it (see `leavesReadModel`); the fact changes nothing else.
      case 'log.archived':
        continue;
      case 'occurrence.scheduled': {
        const occurrence = event.data.occurrence;
        const before = recordOf(occurrence.id);
        const execution = evolveExecution(before?.execution, event, taskOf);
        if (execution === undefined) continue;
        records.set(
          occurrence.id,
          before === undefined
            ? { occurrence, execution, firstSeq: event.seq }
            : { ...before, execution },
        );
        taskIds[i] = (before?.occurrence ?? occurrence).taskId;
        continue;
      }
      default: {
        const before = recordOf(event.data.occurrenceId);
        if (before === undefined) continue;
        if (event.type === 'occurrence.triggered' && before.execution.triggered) {
          repeatedTrigger ??= event.stream;
        }
        const from = SETTLES_FROM[event.type];
        if (from !== undefined && before.execution.state !== from) settledAlready ??= event.stream;
        const execution = evolveExecution(before.execution, event, taskOf) ?? before.execution;
        records.set(before.occurrence.id, { ...before, execution });
        taskIds[i] = before.occurrence.taskId;
      }
    }
  }
  return {
    tasks,
    removedTasks,
    records,
    calendar,
    status,
    taskIds,
    repeatedTrigger,
    settledAlready,
  };
}
