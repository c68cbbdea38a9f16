import { holdsPlace } from '../domain/holdsPlace.js';
import { QUARTER_HOUR_MS } from '../domain/quarterHour.js';
import type {
  CalendarConfig,
  EntryQuery,
  Page,
  RecordQuery,
  ResolvedPage,
  SchedulerStatus,
  Task,
} from '../domain/types.js';
import { encodeCursor } from '../domain/validatePageRequest.js';
import type { LiveState, LiveWindow, LogHead, Place } from './EventStore.js';
import type { StoredEvent } from './events.js';
import type { FarSummary, WaitingRange } from './FarWaiting.js';
import type { ArchivedRange } from './facts.js';
import { leavesReadModel } from './leavesReadModel.js';
import {
  isLive,
  type OccurrenceRecord,
  type ProjectionSource,
  projectEntries,
} from './projection.js';

/** Index of the first element of an ascending list greater than `after`. */
function firstAfter(sorted: readonly number[], after: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! <= after) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Walks `positions` (ascending) from the page's cursor and collects up to `limit` items that
 * `pick` accepts, looking one further to know whether another page follows.
 */
function collectPage<T>(
  positions: readonly number[],
  page: ResolvedPage,
  pick: (position: number) => T | undefined,
): Page<T> {
  const items: T[] = [];
  let last = 0;
  const { after, descending } = page;
  // Ascending: from the first position after the cursor. Descending: from the last one
  // before it, backwards.
  const start = descending
    ? (after === undefined ? positions.length : firstAfter(positions, after - 1)) - 1
    : after === undefined
      ? 0
      : firstAfter(positions, after);
  const step = descending ? -1 : 1;
  for (let i = start; i >= 0 && i < positions.length; i += step) {
    const position = positions[i]!;
    const item = pick(position);
    if (item === undefined) continue;
    if (items.length === page.limit) return { items, nextCursor: encodeCursor(last) };
    items.push(item);
    last = position;
  }
  return { items };
}

/** True when `ms` lies within the page's `from` (inclusive) and `to` (exclusive) bounds. */
export function withinBounds(ms: number, page: ResolvedPage): boolean {
  return (
    (page.fromMs === undefined || ms >= page.fromMs) && (page.toMs === undefined || ms < page.toMs)
  );
}

/**
 * The read model of the memory store: every occurrence with its execution record, indexed
 * for the store queries, and kept by {@link projectEntries} like any store's projection.
 * `entryAt` resolves a sequence number to the store's entry, for history.
 */
export class MemoryProjection implements ProjectionSource {
  readonly #tasks = new Map<string, Task>();
  readonly #records = new Map<string, OccurrenceRecord>();
  /** `firstSeq` of every record, ascending, and the record each belongs to. */
  #order: number[] = [];
  readonly #bySeq = new Map<number, string>();
  /** Per task: `firstSeq` of its records, ascending. */
  readonly #orderByTask = new Map<string, number[]>();
  /** Per task: sequence numbers of every entry about it or its occurrences, ascending. */
  readonly #entriesByTask = new Map<string, number[]>();
  #calendar: CalendarConfig | undefined;
  #status: SchedulerStatus = 'idle';

  task(taskId: string): Task | undefined {
    return this.#tasks.get(taskId);
  }

  record(occurrenceId: string): OccurrenceRecord | undefined {
    return this.#records.get(occurrenceId);
  }

  /**
   * Folds a run of just-stored entries in (the inline projection of an append). A
   * `log.archived` entry among them takes the occurrences its archive run settled out of the
   * model right where it stands (see `leavesReadModel`), as the SQLite store does in the
   * transaction that records it, so what follows it sees the model without them.
   */
  apply(entries: readonly StoredEvent[]): void {
    let from = 0;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.type !== 'log.archived') continue;
      this.#fold(entries.slice(from, i + 1));
      this.#prune(entry);
      from = i + 1;
    }
    if (from < entries.length) this.#fold(from === 0 ? entries : entries.slice(from));
  }

  /** The occurrences an archive run of `range` would take out of the model. */
  leaving(range: Pick<ArchivedRange, 'lastSeq' | 'occurrencesBefore'>): string[] {
    const ids: string[] = [];
    for (const [id, record] of this.#records) if (leavesReadModel(record, range)) ids.push(id);
    return ids;
  }

  /** Takes the occurrences an archive run settled out of the model, and their history. */
  #prune(fact: StoredEvent<'log.archived'>): void {
    const range = fact.data;
    const gone = new Set<number>();
    for (const [id, record] of this.#records) {
      if (!leavesReadModel(record, range)) continue;
      this.#records.delete(id);
      this.#bySeq.delete(record.firstSeq);
      gone.add(record.firstSeq);
    }
    const keep = (seq: number) => !gone.has(seq);
    if (gone.size > 0) {
      this.#order = this.#order.filter(keep);
      for (const [taskId, list] of this.#orderByTask) {
        const kept = list.filter(keep);
        if (kept.length === 0) this.#orderByTask.delete(taskId);
        else this.#orderByTask.set(taskId, kept);
      }
    }
    for (const [taskId, list] of this.#entriesByTask) {
      const from = firstAfter(list, range.lastSeq);
      if (from === list.length) this.#entriesByTask.delete(taskId);
      else if (from > 0) list.splice(0, from);
    }
  }

  #fold(entries: readonly StoredEvent[]): void {
    const changes = projectEntries(entries, this);
    for (const id of changes.removedTasks) this.#tasks.delete(id);
    for (const [id, task] of changes.tasks) if (task !== null) this.#tasks.set(id, task);
    for (const [id, record] of changes.records) {
      if (!this.#records.has(id)) {
        this.#order.push(record.firstSeq);
        this.#bySeq.set(record.firstSeq, id);
        push(this.#orderByTask, record.occurrence.taskId, record.firstSeq);
      }
      this.#records.set(id, record);
    }
    if (changes.calendar !== undefined) this.#calendar = changes.calendar;
    if (changes.status !== undefined) this.#status = changes.status;
    changes.taskIds.forEach((taskId, i) => {
      if (taskId !== null) push(this.#entriesByTask, taskId, entries[i]!.seq);
    });
  }

  loadLive(head: LogHead, window?: LiveWindow): LiveState {
    const before = window?.waitingBeforeMs;
    const live: OccurrenceRecord[] = [];
    for (const record of this.#records.values()) {
      const { execution } = record;
      if (!isLive(execution)) continue;
      const far =
        before !== undefined &&
        execution.state === 'scheduled' &&
        Date.parse(execution.scheduledFor) >= before;
      if (!far) live.push(record);
    }
    const state: LiveState = {
      head,
      tasks: [...this.#tasks.values()],
      calendar: this.#calendar,
      status: this.#status,
      live,
    };
    return before === undefined
      ? state
      : { ...state, waitingBeforeMs: before, far: this.waitingSummary(before) };
  }

  /** The waiting occurrences in `range`, in the order first recorded. */
  loadWaiting(range: WaitingRange): OccurrenceRecord[] {
    const found: OccurrenceRecord[] = [];
    const toMs = range.toMs ?? Number.POSITIVE_INFINITY;
    for (const record of this.#records.values()) {
      const { execution } = record;
      if (execution.state !== 'scheduled') continue;
      if (range.taskId !== undefined && execution.taskId !== range.taskId) continue;
      const atMs = Date.parse(execution.scheduledFor);
      if (atMs >= range.fromMs && atMs < toMs) found.push(record);
    }
    return found;
  }

  /** How many waiting occurrences are due at or after `fromMs`, per task, and their places. */
  waitingSummary(fromMs: number, withInstants = false): FarSummary {
    const quarters = new Map<number, number>();
    const byTask = new Map<string, number>();
    const instants: number[] = [];
    for (const { execution } of this.#records.values()) {
      if (execution.state !== 'scheduled') continue;
      const atMs = Date.parse(execution.scheduledFor);
      if (atMs < fromMs) continue;
      byTask.set(execution.taskId, (byTask.get(execution.taskId) ?? 0) + 1);
      if (!holdsPlace(execution)) continue;
      const quarter = atMs - (atMs % QUARTER_HOUR_MS);
      quarters.set(quarter, (quarters.get(quarter) ?? 0) + 1);
      if (withInstants) instants.push(atMs);
    }
    const summary = {
      byTask: [...byTask],
      quarters: [...quarters].sort((a, b) => a[0] - b[0]),
    };
    return withInstants ? { ...summary, instants: instants.sort((a, b) => a - b) } : summary;
  }

  queryRecords(query: RecordQuery): Page<OccurrenceRecord> {
    const positions =
      query.taskId === undefined ? this.#order : (this.#orderByTask.get(query.taskId) ?? []);
    return collectPage(positions, query, (seq) => {
      const record = this.#records.get(this.#bySeq.get(seq)!)!;
      const { state, scheduledFor } = record.execution;
      if (query.states !== undefined && !query.states.includes(state)) return undefined;
      const outcome = record.execution.outcome;
      if (
        query.outcomes !== undefined &&
        (outcome === undefined || !query.outcomes.includes(outcome))
      )
        return undefined;
      return withinBounds(Date.parse(scheduledFor), query) ? record : undefined;
    });
  }

  queryHistory(
    query: EntryQuery,
    entryAt: (seq: number) => StoredEvent | undefined,
  ): Page<StoredEvent> {
    let positions: readonly number[];
    if ('taskId' in query) {
      positions = this.#entriesByTask.get(query.taskId) ?? [];
    } else {
      positions =
        this.#records.get(query.occurrenceId)?.execution.history.map((step) => step.seq) ?? [];
    }
    return collectPage(positions, query, (seq) => {
      const entry = entryAt(seq);
      return entry !== undefined && withinBounds(Date.parse(entry.time), query) ? entry : undefined;
    });
  }

  placesSince(sinceMs: number): Place[] {
    const places: Place[] = [];
    for (const { execution } of this.#records.values()) {
      if (
        !isLive(execution) &&
        holdsPlace(execution) &&
        Date.parse(execution.scheduledFor) >= sinceMs
      ) {
        places.push({ occurrenceId: execution.occurrenceId, scheduledFor: execution.scheduledFor });
      }
    }
    return places;
  }
}

function push<K>(index: Map<K, number[]>, key: K, value: number): void {
  const list = index.get(key);
  if (list === undefined) index.set(key, [value]);
  else list.push(value);
}
