import type Database from 'better-sqlite3';
import { deepFreeze } from '../domain/deepFreeze.js';
import { holdsPlace } from '../domain/holdsPlace.js';
import { FOLLOWED_UP_STATES, OUTCOME_STATE } from '../domain/outcomeStates.js';
import { QUARTER_HOUR_MS } from '../domain/quarterHour.js';
import type {
  CalendarConfig,
  EntryQuery,
  Execution,
  Occurrence,
  Page,
  RecordQuery,
  SchedulerStatus,
  Task,
} from '../domain/types.js';
import { encodeCursor } from '../domain/validatePageRequest.js';
import type { LiveState, LiveWindow, LogHead, Place } from '../log/EventStore.js';
import { type EntryRow, rowToStoredEvent } from '../log/entryRow.js';
import type { StoredEvent } from '../log/events.js';
import type { FarSummary, WaitingRange } from '../log/FarWaiting.js';
import {
  isLive,
  type OccurrenceRecord,
  type ProjectionChanges,
  type ProjectionSource,
  projectEntries,
} from '../log/projection.js';
import { compactWaiting, expandWaiting, type WaitingRecord } from '../log/waitingRecord.js';

/** Columns of an `events` row as `rowToStoredEvent` reads them. */
const ENTRY_COLUMNS = 'seq, id, type, time, stream, data, schema_version, prev_hash, hash';

/** Keys of the `log_state` table. */
const CALENDAR = 'calendar';
const STATUS = 'status';

/**
 * An `occurrences` row as read: the occurrence's JSON, and its execution record's JSON — or,
 * for an occurrence that is exactly what one `occurrence.scheduled` made, no execution JSON
 * but the entry's time and the retries left (a {@link WaitingRecord}: the row is smaller, and
 * loading 100 000 waiting occurrences parses a quarter of the JSON).
 */
type RecordRow = [
  firstSeq: number,
  occurrence: string,
  execution: string | null,
  firstAt: string | null,
  retriesLeft: number | null,
];

const RECORD_COLUMNS = 'first_seq, occurrence, execution, first_at, retries_left';

/** A {@link RecordRow} read for a fold, with its `live` and `holds_place` columns as bits. */
type ReadRow = [...RecordRow, flags: number];

/** A row as the fold reads it inside an append: not frozen (it never leaves the store). */
function toInternalRecord(row: RecordRow | ReadRow): OccurrenceRecord {
  const occurrence = JSON.parse(row[1]) as Occurrence;
  if (row[2] === null) {
    return expandWaiting({ occurrence, firstSeq: row[0], at: row[3]!, retriesRemaining: row[4]! });
  }
  return { occurrence, execution: JSON.parse(row[2]) as Execution, firstSeq: row[0] };
}

/** A row as the record handed out: frozen all the way down, like every read model entity. */
function toRecord(row: RecordRow | ReadRow): OccurrenceRecord {
  return deepFreeze(toInternalRecord(row));
}

/**
 * A live row as `loadLive` hands it to the live model: the occurrence frozen (it is handed
 * out as it is, and flat), the execution record and its history steps frozen one level down,
 * which is all there is (deepFreeze's walk over every key cost a third of loading 100 000).
 */
function toLiveRecord(row: RecordRow): OccurrenceRecord | WaitingRecord {
  const occurrence = Object.freeze(JSON.parse(row[1]) as Occurrence);
  if (row[2] === null) {
    return { occurrence, firstSeq: row[0], at: row[3]!, retriesRemaining: row[4]! };
  }
  const execution = JSON.parse(row[2]) as Execution;
  for (const step of execution.history) Object.freeze(step);
  Object.freeze(execution.history);
  if (execution.error !== undefined) deepFreeze(execution.error);
  return { occurrence, execution: Object.freeze(execution), firstSeq: row[0] };
}

/** The statements of a windowed live set (schema step 7's partial indexes). */
type WindowReads = Readonly<{
  triggered: Database.Statement<[], RecordRow>;
  waitingQuarters: Database.Statement<[number], [number, number]>;
  waitingInstants: Database.Statement<[number], number>;
  waitingByTask: Database.Statement<[number], [string, number]>;
  waiting: Database.Statement<[number, number], RecordRow>;
  waitingOfTask: Database.Statement<[string, number, number], RecordRow>;
}>;

/**
 * A windowed live set's reads: the triggered occurrences and the waiting ones due before the
 * window's end, each from its partial index (schema step 7), and the rest counted from the
 * waiting indexes alone — per task, and their places per quarter of an hour.
 */
function prepareWindowReads(db: Database.Database): WindowReads {
  const raw = <P extends unknown[], R>(sql: string) => db.prepare<P, R>(sql).raw();
  return {
    triggered: raw<[], RecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM occurrences WHERE live = 1 AND state = 'triggered'`,
    ),
    waitingQuarters: raw<[number], [number, number]>(
      `SELECT scheduled_ms / ${QUARTER_HOUR_MS}, count(*) FROM occurrences
         WHERE live = 1 AND state = 'scheduled' AND holds_place = 1 AND scheduled_ms >= ?
         GROUP BY 1 ORDER BY 1`,
    ),
    waitingInstants: db
      .prepare<[number], number>(
        `SELECT scheduled_ms FROM occurrences
           WHERE live = 1 AND state = 'scheduled' AND holds_place = 1 AND scheduled_ms >= ?
           ORDER BY scheduled_ms`,
      )
      .pluck(),
    waitingByTask: raw<[number], [string, number]>(
      `SELECT task_id, count(*) FROM occurrences INDEXED BY occurrences_waiting_by_task
         WHERE live = 1 AND state = 'scheduled' AND scheduled_ms >= ?
         GROUP BY task_id`,
    ),
    waiting: raw<[number, number], RecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM occurrences
         WHERE live = 1 AND state = 'scheduled' AND scheduled_ms >= ? AND scheduled_ms < ?
         ORDER BY first_seq`,
    ),
    waitingOfTask: raw<[string, number, number], RecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM occurrences INDEXED BY occurrences_waiting_by_task
         WHERE task_id = ? AND live = 1 AND state = 'scheduled'
           AND scheduled_ms >= ? AND scheduled_ms < ?
         ORDER BY first_seq`,
    ),
  };
}

/**
 * The SQLite store's read model: tables the group commit writes in the same transaction as
 * the entries they derive from (an inline projection), folded by `projectEntries` like every
 * store's, and queried on demand.
 *
 * - `occurrences`: one row per occurrence, keyed by the seq of the entry that first recorded
 *   it, with the occurrence and its execution record as JSON and the columns the queries
 *   filter on (task, state, live, holds a place, scheduled time).
 * - `tasks`: the current definition of every task.
 * - `log_state`: the calendar and the recorded status.
 * - `events.task_id`: the task an entry is about, so a task's history is one index range.
 */
export class SqliteProjection implements ProjectionSource {
  readonly #db: Database.Database;
  readonly #getTask: Database.Statement<[string], string>;
  readonly #getRecord: Database.Statement<[string], ReadRow>;
  readonly #putTask: Database.Statement<[string, string]>;
  readonly #deleteTask: Database.Statement<[string]>;
  readonly #insertRecord: Database.Statement<
    [
      number,
      string,
      string,
      string,
      number,
      number,
      number,
      string,
      string | null,
      string | null,
      number | null,
    ]
  >;
  /**
   * The update of a record by its key, one statement per set of the flag columns it changes
   * (`live` when bit 1 is set, `holds_place` when bit 2 is): an UPDATE that names a column an
   * index covers or filters on must maintain that index, even when the value stays. A trigger
   * changes neither (a run stays live and keeps its place), an outcome only `live`.
   */
  readonly #updateRecord: readonly Database.Statement<unknown[]>[];
  /**
   * `live` (bit 1) and `holds_place` (bit 2) of each record {@link project} read from the
   * table, by id: what {@link write} compares the new values with.
   */
  readonly #readFlags = new Map<string, number>();
  #projecting = false;
  /**
   * Records this connection's group commit last wrote in state `triggered`, by id, at most
   * {@link RUNNING_KEPT}: the run's outcome is folded over the record as written instead of
   * reading and parsing its row again. Only the group commit uses and fills it, and it drops
   * it ({@link forgetRunning}) whenever another writer may have changed the table since.
   */
  readonly #running = new Map<string, OccurrenceRecord>();
  #useRunning = false;
  readonly #putState: Database.Statement<[string, string]>;
  readonly #allTasks: Database.Statement<[], string>;
  readonly #allState: Database.Statement<[], [string, string]>;
  readonly #live: Database.Statement<[], RecordRow>;
  /** The reads of a windowed live set, prepared on first use (after every migration ran). */
  #windowReads: WindowReads | undefined;
  readonly #places: Database.Statement<[number], [string, number]>;
  readonly #queries = new Map<string, Database.Statement<unknown[], RecordRow>>();
  readonly #entryQueries = new Map<string, Database.Statement<unknown[], EntryRow>>();

  constructor(db: Database.Database) {
    this.#db = db;
    this.#getTask = db.prepare<[string], string>('SELECT task FROM tasks WHERE id = ?').pluck();
    this.#getRecord = db
      .prepare<[string], ReadRow>(
        `SELECT ${RECORD_COLUMNS}, live | (holds_place << 1) FROM occurrences WHERE id = ?`,
      )
      .raw();
    // An upsert keeps the row (and its rowid, the order tasks are listed in) of a task that
    // is redefined, as the memory store's map keeps its key's place.
    this.#putTask = db.prepare(
      'INSERT INTO tasks (id, task) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET task = excluded.task',
    );
    this.#deleteTask = db.prepare('DELETE FROM tasks WHERE id = ?');
    // The occurrence's JSON is written once: later entries change its execution only.
    this.#insertRecord = db.prepare(
      `INSERT INTO occurrences (first_seq, id, task_id, state, live, holds_place, scheduled_ms,
         occurrence, execution, first_at, retries_left)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // By first_seq, the table's own key: no lookup through the index on id.
    this.#updateRecord = [0, 1, 2, 3].map((changed) =>
      db.prepare(
        `UPDATE occurrences SET state = ?, execution = ?, first_at = ?, retries_left = ?${
          changed & LIVE ? ', live = ?' : ''
        }${changed & HOLDS ? ', holds_place = ?' : ''} WHERE first_seq = ?`,
      ),
    );
    this.#putState = db.prepare('INSERT OR REPLACE INTO log_state (key, value) VALUES (?, ?)');
    this.#allTasks = db.prepare<[], string>('SELECT task FROM tasks ORDER BY rowid').pluck();
    this.#allState = db.prepare<[], [string, string]>('SELECT key, value FROM log_state').raw();
    this.#live = db
      .prepare<[], RecordRow>(
        `SELECT ${RECORD_COLUMNS} FROM occurrences WHERE live = 1 ORDER BY first_seq`,
      )
      .raw();
    this.#places = db
      .prepare<[number], [string, number]>(
        'SELECT id, scheduled_ms FROM occurrences WHERE holds_place = 1 AND live = 0 AND scheduled_ms >= ?',
      )
      .raw();
  }

  get #window(): WindowReads {
    this.#windowReads ??= prepareWindowReads(this.#db);
    return this.#windowReads;
  }

  /** A prepared statement per query shape, made on first use. */
  #prepared<R>(cache: Map<string, Database.Statement<unknown[], R>>, sql: string) {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare<unknown[], R>(sql).raw();
      cache.set(sql, statement);
    }
    return statement;
  }

  task(taskId: string): Task | undefined {
    const json = this.#getTask.get(taskId);
    return json === undefined ? undefined : (JSON.parse(json) as Task);
  }

  record(occurrenceId: string): OccurrenceRecord | undefined {
    if (this.#useRunning) {
      const kept = this.#running.get(occurrenceId);
      if (kept !== undefined) {
        this.#readFlags.set(occurrenceId, flagsOf(kept.execution));
        return kept;
      }
    }
    const row = this.#getRecord.get(occurrenceId);
    if (row === undefined) return undefined;
    if (this.#projecting) this.#readFlags.set(occurrenceId, row[5]);
    return toInternalRecord(row);
  }

  /** One occurrence's record as handed out (frozen). */
  publicRecord(occurrenceId: string): OccurrenceRecord | undefined {
    const row = this.#getRecord.get(occurrenceId);
    return row === undefined ? undefined : toRecord(row);
  }

  /**
   * What `entries` change, read against the tables as they are. Reads only: the caller
   * inserts the entries and then {@link write}s the changes, so a refused insert leaves the
   * projection untouched.
   */
  project(entries: readonly StoredEvent[]): ProjectionChanges {
    this.#readFlags.clear();
    this.#projecting = true;
    try {
      return projectEntries(entries, this);
    } finally {
      this.#projecting = false;
      this.#useRunning = false;
    }
  }

  /**
   * {@link project} for the group commit, inside its transaction: records it wrote running
   * are taken as written. The caller vouches that nobody changed the table since it wrote
   * them (no other commit moved the head, nothing was rolled back).
   */
  projectOwn(entries: readonly StoredEvent[]): ProjectionChanges {
    this.#useRunning = true;
    return this.project(entries);
  }

  /** Drops the records kept running: the table may hold something else now. */
  forgetRunning(): void {
    this.#running.clear();
  }

  /**
   * Writes what {@link project} computed for entries from `fromSeq` on, in the caller's
   * transaction: a record first made by one of them is inserted, any other updated.
   */
  write(changes: ProjectionChanges, fromSeq: number, own = false): void {
    for (const id of changes.removedTasks) this.#deleteTask.run(id);
    for (const [id, task] of changes.tasks) {
      if (task !== null) this.#putTask.run(id, JSON.stringify(task));
    }
    for (const [id, record] of changes.records) {
      const { execution, occurrence } = record;
      const waiting = compactWaiting(record);
      const executionJson = waiting === undefined ? JSON.stringify(execution) : null;
      const at = waiting === undefined ? null : waiting.at;
      const retries = waiting === undefined ? null : waiting.retriesRemaining;
      const flags = flagsOf(execution);
      const live = flags & LIVE;
      const holds = flags & HOLDS ? 1 : 0;
      if (record.firstSeq < fromSeq) {
        // Only a record folded over a row read back is kept: one made from an entry shares the
        // entry's payload objects with whoever was handed the entry.
        if (own) this.#keepRunning(id, record);
        // A record not read by the last project() (none should be) is written in full.
        const changed = (flags ^ (this.#readFlags.get(id) ?? ~flags)) & (LIVE | HOLDS);
        const update = this.#updateRecord[changed]!;
        const { state } = execution;
        const key = record.firstSeq;
        if (changed === 0) update.run(state, executionJson, at, retries, key);
        else if (changed === LIVE) update.run(state, executionJson, at, retries, live, key);
        else if (changed === HOLDS) update.run(state, executionJson, at, retries, holds, key);
        else update.run(state, executionJson, at, retries, live, holds, key);
        continue;
      }
      this.#insertRecord.run(
        record.firstSeq,
        id,
        occurrence.taskId,
        execution.state,
        live,
        holds,
        Date.parse(execution.scheduledFor),
        JSON.stringify(occurrence),
        executionJson,
        at,
        retries,
      );
    }
    if (changes.calendar !== undefined) {
      this.#putState.run(CALENDAR, JSON.stringify(changes.calendar));
    }
    if (changes.status !== undefined) this.#putState.run(STATUS, changes.status);
  }

  /** Keeps a record the group commit writes while it runs; forgets it once it moves on. */
  #keepRunning(id: string, record: OccurrenceRecord): void {
    this.#running.delete(id);
    if (record.execution.state !== 'triggered') return;
    this.#running.set(id, record);
    if (this.#running.size > RUNNING_KEPT) {
      this.#running.delete(this.#running.keys().next().value!);
    }
  }

  /** Tasks, calendar, status and the live set, read in one transaction with `head`. */
  loadLive(readHead: () => LogHead, window?: LiveWindow): LiveState {
    return this.#db.transaction((): LiveState => {
      let calendar: CalendarConfig | undefined;
      let status: SchedulerStatus = 'idle';
      for (const [key, value] of this.#allState.all()) {
        if (key === CALENDAR) calendar = deepFreeze(JSON.parse(value) as CalendarConfig);
        else if (key === STATUS) status = value as SchedulerStatus;
      }
      return {
        head: readHead(),
        tasks: this.#allTasks.all().map((json) => deepFreeze(JSON.parse(json) as Task)),
        calendar,
        status,
        ...(window === undefined
          ? { live: this.#live.all().map(toLiveRecord) }
          : {
              live: this.#liveBefore(window.waitingBeforeMs),
              waitingBeforeMs: window.waitingBeforeMs,
              far: this.waitingSummary(window.waitingBeforeMs),
            }),
      };
    })();
  }

  /** The waiting occurrences in `range`, in the order first recorded. */
  loadWaiting(range: WaitingRange): (OccurrenceRecord | WaitingRecord)[] {
    // Beyond any instant a date can name, so the bound is an integer SQLite compares.
    const toMs = range.toMs ?? Number.MAX_SAFE_INTEGER;
    const rows =
      range.taskId === undefined
        ? this.#window.waiting.all(range.fromMs, toMs)
        : this.#window.waitingOfTask.all(range.taskId, range.fromMs, toMs);
    return rows.map(toLiveRecord);
  }

  /** How many waiting occurrences are due at or after `fromMs`, per task, and their places. */
  waitingSummary(fromMs: number, withInstants = false): FarSummary {
    const reads = this.#window;
    const quarters = reads.waitingQuarters
      .all(fromMs)
      .map(([quarter, count]) => [quarter * QUARTER_HOUR_MS, count] as const);
    const summary = { byTask: reads.waitingByTask.all(fromMs), quarters };
    return withInstants ? { ...summary, instants: reads.waitingInstants.all(fromMs) } : summary;
  }

  /**
   * The triggered occurrences and the waiting ones due before `beforeMs`, in the order first
   * recorded: two reads of their partial indexes, merged here.
   */
  #liveBefore(beforeMs: number): (OccurrenceRecord | WaitingRecord)[] {
    const reads = this.#window;
    const rows = [...reads.triggered.all(), ...reads.waiting.all(0, beforeMs)];
    rows.sort((a, b) => a[0] - b[0]);
    return rows.map(toLiveRecord);
  }

  queryRecords(query: RecordQuery): Page<OccurrenceRecord> {
    const where: string[] = [query.descending ? 'first_seq < ?' : 'first_seq > ?'];
    const params: unknown[] = [query.after ?? (query.descending ? Number.MAX_SAFE_INTEGER : 0)];
    if (query.taskId !== undefined) {
      where.push('task_id = ?');
      params.push(query.taskId);
    }
    if (query.states !== undefined) {
      // Naming `live` lets SQLite answer a query for live states from their partial index.
      if (query.states.every((state) => state === 'scheduled' || state === 'triggered')) {
        where.push('live = 1');
      }
      where.push(`state IN (${query.states.map(() => '?').join(', ')})`);
      params.push(...query.states);
    }
    if (query.outcomes !== undefined) {
      // Answered from the state column where the state means the outcome (`done` is
      // `completed`); only rows a follow-up moved on read the outcome from their execution
      // JSON. No column of its own: see storage.md for what that costs.
      const implied = query.outcomes.map((outcome) => OUTCOME_STATE[outcome]);
      where.push(
        `(state IN (${marks(implied)}) OR (state IN (${marks(FOLLOWED_UP_STATES)}) AND json_extract(execution, '$.outcome') IN (${marks(query.outcomes)})))`,
      );
      params.push(...implied, ...FOLLOWED_UP_STATES, ...query.outcomes);
    }
    if (query.fromMs !== undefined) {
      where.push('scheduled_ms >= ?');
      params.push(query.fromMs);
    }
    if (query.toMs !== undefined) {
      where.push('scheduled_ms < ?');
      params.push(query.toMs);
    }
    const sql = `SELECT ${RECORD_COLUMNS} FROM occurrences WHERE ${where.join(' AND ')} ORDER BY first_seq ${query.descending ? 'DESC' : 'ASC'} LIMIT ?`;
    const rows = this.#prepared(this.#queries, sql).all(...params, query.limit + 1);
    return toPage(rows.map(toRecord), query.limit, (record) => record.firstSeq);
  }

  queryHistory(query: EntryQuery): Page<StoredEvent> {
    const from = query.fromMs === undefined ? '' : new Date(query.fromMs).toISOString();
    const to = query.toMs === undefined ? '\uffff' : new Date(query.toMs).toISOString();
    const { descending } = query;
    const after = query.after ?? (descending ? Number.MAX_SAFE_INTEGER : 0);
    const bounds = `seq ${descending ? '<' : '>'} ? AND time >= ? AND time < ? ORDER BY seq ${descending ? 'DESC' : 'ASC'} LIMIT ?`;
    let selector: string;
    let key: string;
    if ('taskId' in query) {
      selector = 'task_id = ?';
      key = query.taskId;
    } else {
      // An occurrence's entries are the steps of its record.
      const record = this.record(query.occurrenceId);
      if (record === undefined) return { items: [] };
      selector = 'seq IN (SELECT value FROM json_each(?))';
      key = JSON.stringify(record.execution.history.map((step) => step.seq));
    }
    const sql = `SELECT ${ENTRY_COLUMNS} FROM events WHERE ${selector} AND ${bounds}`;
    const rows = this.#prepared(this.#entryQueries, sql).all(key, after, from, to, query.limit + 1);
    return toPage(rows.map(rowToStoredEvent), query.limit, (entry) => entry.seq);
  }

  placesSince(sinceMs: number): Place[] {
    return this.#places.all(sinceMs).map(([occurrenceId, ms]) => ({
      occurrenceId,
      scheduledFor: new Date(ms).toISOString(),
    }));
  }
}

/**
 * Running records kept at most (about 1 kB each): enough for every run of a burst between its
 * trigger's commit and its outcome's, without holding all of a long-running crowd.
 */
const RUNNING_KEPT = 8192;

/** Bits of {@link flagsOf}, as `live | (holds_place << 1)` reads them. */
const LIVE = 1;
const HOLDS = 2;

/** The `live` and `holds_place` columns of a record, as bits. */
function flagsOf(execution: Execution): number {
  return (isLive(execution) ? LIVE : 0) | (holdsPlace(execution) ? HOLDS : 0);
}

/** One `?` per value, for an `IN (…)` list. */
function marks(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

/** The first `limit` items, with a cursor when a further one was read. */
function toPage<T>(items: T[], limit: number, positionOf: (item: T) => number): Page<T> {
  if (items.length <= limit) return { items };
  items.length = limit;
  return { items, nextCursor: encodeCursor(positionOf(items[limit - 1]!)) };
}

/** Entries per batch while rebuilding the projection. */
const REBUILD_BATCH = 500;

/**
 * Builds the projection tables from scratch by folding every entry in the file, in the
 * caller's transaction: the migration that introduced them and `repairLog` use it, and it is
 * the reference an inline projection is compared with.
 */
export function rebuildProjection(db: Database.Database): void {
  db.exec('DELETE FROM occurrences; DELETE FROM tasks; DELETE FROM log_state;');
  const projection = new SqliteProjection(db);
  const page = db
    .prepare<[number, number], EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?`,
    )
    .raw();
  const setTask = db.prepare<[string | null, number]>(
    'UPDATE events SET task_id = ? WHERE seq = ?',
  );
  let after = 0;
  for (;;) {
    const rows = page.all(after, REBUILD_BATCH);
    if (rows.length === 0) return;
    const entries = rows.map(rowToStoredEvent);
    const changes = projection.project(entries);
    changes.taskIds.forEach((taskId, i) => {
      setTask.run(taskId, entries[i]!.seq);
    });
    projection.write(changes, entries[0]!.seq);
    after = entries[entries.length - 1]!.seq;
  }
}
