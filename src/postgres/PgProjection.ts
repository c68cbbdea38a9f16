import type Pg from 'pg';
import { deepFreeze } from '../domain/deepFreeze.js';
import { holdsPlace } from '../domain/holdsPlace.js';
import { FOLLOWED_UP_STATES, OUTCOME_STATE } from '../domain/outcomeStates.js';
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
import type { LiveState, LogHead, Place } from '../log/EventStore.js';
import { type EntryRow, rowToStoredEvent } from '../log/entryRow.js';
import type { StoredEvent } from '../log/events.js';
import { GENESIS_HASH } from '../log/hashChain.js';
import {
  isLive,
  type OccurrenceRecord,
  type ProjectionChanges,
  type ProjectionSource,
} from '../log/projection.js';
import { compactWaiting, expandWaiting, type WaitingRecord } from '../log/waitingRecord.js';
import { ENTRY_COLUMNS } from './pgEntries.js';
import { quoted } from './pgSchema.js';

/** Keys of the `log_state` table. */
const CALENDAR = 'calendar';
const STATUS = 'status';
export const VERIFIED = 'verified';

/** An `occurrences` row as read (see the SQLite store: a waiting record has no execution). */
type RecordRow = [
  firstSeq: number,
  occurrence: string,
  execution: string | null,
  firstAt: string | null,
  retriesLeft: number | null,
];

const RECORD_COLUMNS = 'first_seq, occurrence, execution, first_at, retries_left';

function toInternalRecord(row: RecordRow): OccurrenceRecord {
  const occurrence = JSON.parse(row[1]) as Occurrence;
  if (row[2] === null) {
    return expandWaiting({ occurrence, firstSeq: row[0], at: row[3]!, retriesRemaining: row[4]! });
  }
  return { occurrence, execution: JSON.parse(row[2]) as Execution, firstSeq: row[0] };
}

const toRecord = (row: RecordRow): OccurrenceRecord => deepFreeze(toInternalRecord(row));

/** A live row as `loadLive` hands it out: frozen as deep as the live model needs. */
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

/** What a group of appends refers to, read in one round trip under the append lock. */
export type Referenced = Readonly<{
  occurrenceIds: readonly string[];
  taskIds: readonly string[];
  triggerStreams: readonly string[];
}>;

/**
 * The state a group of appends is folded over: the head, the verified mark, the rows the
 * entries refer to (prefetched, because `ProjectionSource` is synchronous), and the streams
 * that already triggered. Each accepted call's changes are applied to it, so the next call of
 * the group sees them, as it would see the rows an SQLite savepoint wrote.
 */
export class PrefetchedState implements ProjectionSource {
  head: LogHead;
  readonly mark: LogHead | undefined;
  readonly #tasks = new Map<string, Task | null>();
  readonly #records = new Map<string, OccurrenceRecord>();
  readonly triggered = new Set<string>();

  constructor(head: LogHead, mark: LogHead | undefined) {
    this.head = head;
    this.mark = mark;
  }

  task(taskId: string): Task | undefined {
    return this.#tasks.get(taskId) ?? undefined;
  }

  record(occurrenceId: string): OccurrenceRecord | undefined {
    return this.#records.get(occurrenceId);
  }

  /** Folds in what an accepted call changed. */
  accept(changes: ProjectionChanges, stored: readonly StoredEvent[]): void {
    for (const id of changes.removedTasks) this.#tasks.set(id, null);
    for (const [id, task] of changes.tasks) this.#tasks.set(id, task);
    for (const [id, record] of changes.records) this.#records.set(id, record);
    for (const entry of stored)
      if (entry.type === 'occurrence.triggered') this.triggered.add(entry.stream);
    const last = stored[stored.length - 1];
    if (last !== undefined) this.head = { seq: last.seq, hash: last.hash };
  }

  static fromRows(rows: readonly PrefetchRow[]): PrefetchedState {
    let head: LogHead = { seq: 0, hash: GENESIS_HASH };
    let mark: LogHead | undefined;
    const tasks: [string, Task][] = [];
    const records: OccurrenceRecord[] = [];
    const triggered: string[] = [];
    for (const row of rows) {
      const [kind, key, seq, a, b, c, d] = row;
      if (kind === 'h') head = { seq: seq!, hash: a! };
      else if (kind === 'm') {
        const parsed = JSON.parse(a!) as Partial<LogHead>;
        if (typeof parsed.seq === 'number' && typeof parsed.hash === 'string') {
          mark = { seq: parsed.seq, hash: parsed.hash };
        }
      } else if (kind === 't') tasks.push([key!, JSON.parse(a!) as Task]);
      else if (kind === 'o') records.push(toInternalRecord([seq!, a!, b, c, d]));
      else triggered.push(key!);
    }
    const state = new PrefetchedState(head, mark);
    for (const [id, task] of tasks) state.#tasks.set(id, task);
    for (const record of records) state.#records.set(record.occurrence.id, record);
    for (const stream of triggered) state.triggered.add(stream);
    return state;
  }
}

/** One row of the prefetch: kind, key, seq, then up to four values. */
type PrefetchRow = [
  kind: 'h' | 'm' | 't' | 'o' | 's',
  key: string | null,
  seq: number | null,
  a: string | null,
  b: string | null,
  c: string | null,
  d: number | null,
];

/** The ids a run of entries refers to (the occurrences' tasks are found by the query). */
export function referencedBy(
  entries: readonly { type: string; stream: string; data: unknown }[],
): Referenced {
  const occurrenceIds = new Set<string>();
  const taskIds = new Set<string>();
  const triggerStreams = new Set<string>();
  for (const { type, stream, data } of entries) {
    const d = data as Record<string, unknown>;
    if (type === 'occurrence.triggered') triggerStreams.add(stream);
    if (type === 'occurrence.scheduled') {
      const occurrence = d.occurrence as { id?: unknown; taskId?: unknown } | undefined;
      if (typeof occurrence?.id === 'string') occurrenceIds.add(occurrence.id);
      if (typeof occurrence?.taskId === 'string') taskIds.add(occurrence.taskId);
    } else if (typeof d.occurrenceId === 'string') occurrenceIds.add(d.occurrenceId);
    if (type.startsWith('task.')) {
      const task = d.task as { id?: unknown } | undefined;
      if (typeof task?.id === 'string') taskIds.add(task.id);
      if (typeof d.taskId === 'string') taskIds.add(d.taskId);
    }
  }
  return {
    occurrenceIds: [...occurrenceIds],
    taskIds: [...taskIds],
    triggerStreams: [...triggerStreams],
  };
}

/** What the accepted calls of a group change, coalesced across calls. */
export class GroupChanges {
  readonly tasks = new Map<string, Task | null>();
  readonly removedTasks = new Set<string>();
  readonly records = new Map<string, OccurrenceRecord>();
  calendar: CalendarConfig | undefined;
  status: SchedulerStatus | undefined;

  add(changes: ProjectionChanges): void {
    for (const id of changes.removedTasks) {
      this.removedTasks.add(id);
      this.tasks.delete(id);
    }
    for (const [id, task] of changes.tasks) {
      this.tasks.delete(id);
      this.tasks.set(id, task);
    }
    for (const [id, record] of changes.records) this.records.set(id, record);
    if (changes.calendar !== undefined) this.calendar = changes.calendar;
    if (changes.status !== undefined) this.status = changes.status;
  }
}

type Queryable = Pick<Pg.Pool, 'query'>;

/**
 * The column of a write, sent as one JSON array and turned back into a typed array by the
 * server, in order. The driver's own array parameters escape every element with two regular
 * expressions: for a burst's entry and execution texts (JSON, full of quotes) that measured
 * 440-710 ms per 10 000 rows of 460 B on the project machine, against 10-17 ms for
 * `JSON.stringify` of the same array (and 660-1 340 ms against 226-296 ms for the round trip
 * with the server's decoding).
 */
function jsonColumn(param: number, type: string): string {
  const value = type === 'text' ? 'v' : `v::${type}`;
  return `ARRAY(SELECT ${value} FROM json_array_elements_text($${param}::json) WITH ORDINALITY AS a(v, i) ORDER BY i)`;
}

/**
 * A column of JSON documents (entry data, tasks, occurrences, executions), sent as one JSON
 * array whose elements are the documents themselves, joined (see {@link documentsArray}),
 * rather than as strings escaped a second time: each element's text is taken as it was sent
 * (`json`, unlike `jsonb`, keeps it), and a `null` element is SQL NULL. The documents are
 * `JSON.stringify`'s output, never the JSON `null`.
 */
function documentColumn(param: number): string {
  return `ARRAY(SELECT NULLIF(v::text, 'null') FROM json_array_elements($${param}::json) WITH ORDINALITY AS a(v, i) ORDER BY i)`;
}

/** Appends one row's values to the columns, value i to column i. */
function pushRow(columns: unknown[][], ...values: unknown[]): void {
  for (let i = 0; i < values.length; i++) columns[i]!.push(values[i]);
}

/** JSON texts (or null) as the text of one JSON array of them. */
function documentsArray(texts: readonly (string | null)[]): string {
  let json = '[';
  for (let i = 0; i < texts.length; i++) json += `${i === 0 ? '' : ','}${texts[i] ?? 'null'}`;
  return `${json}]`;
}

/**
 * The PostgreSQL store's read model: the same tables as SQLite's (`occurrences`, `tasks`,
 * `log_state`, `entries.task_id`), written by the group commit in the transaction of the
 * entries they derive from, and queried here. Every method is one statement, so it reads one
 * snapshot.
 */
export class PgProjection {
  readonly #q: string;
  /** Names of the prepared statements: each connection parses and plans them once. */
  readonly #names: Readonly<{ prefetch: string; write: string; live: string }>;
  readonly #prefetch: string;
  readonly #write: string;
  readonly #live: string;
  /** The write's parameters (0-based) that are columns of JSON documents. */
  readonly #documents: ReadonlySet<number>;

  constructor(schema: string) {
    const q = quoted(schema);
    this.#q = q;
    this.#names = {
      prefetch: `planflow_prefetch_${schema}`,
      write: `planflow_write_${schema}`,
      live: `planflow_live_${schema}`,
    };
    this.#prefetch = `
      SELECT 'h'::text, NULL::text, seq, hash, NULL::text, NULL::text, NULL::integer
        FROM (SELECT seq, hash FROM ${q}.entries ORDER BY seq DESC LIMIT 1) h
      UNION ALL
      SELECT 'm', NULL, NULL, value, NULL, NULL, NULL FROM ${q}.log_state WHERE key = '${VERIFIED}'
      UNION ALL
      SELECT 'o', id, first_seq, occurrence, execution, first_at, retries_left
        FROM ${q}.occurrences WHERE id = ANY($1::text[])
      UNION ALL
      SELECT 't', id, NULL, task, NULL, NULL, NULL FROM ${q}.tasks
        -- One array, not "id = ANY($2) OR id IN (subquery)": the OR with a subplan made the
        -- planner scan every task on each group (1.4 ms of 2.1 ms with 10 000 tasks).
        WHERE id = ANY($2::text[]
          || ARRAY(SELECT task_id FROM ${q}.occurrences WHERE id = ANY($1::text[])))
      UNION ALL
      SELECT 's', stream, NULL, NULL, NULL, NULL, NULL FROM ${q}.entries
        WHERE type = 'occurrence.triggered' AND stream = ANY($3::text[])`;
    // One statement for every row a group writes: data-modifying CTEs all run, in one
    // snapshot; none of them touches a row another one does (tasks removed in the group are
    // deleted by a statement before it, so a task defined again is listed last).
    // `document[]` marks the columns of JSON documents (see documentColumn); every other
    // array goes as jsonColumn. Not a server type: replaced before the statement is sent.
    const write = `
      WITH e AS (
        INSERT INTO ${q}.entries (seq, id, type, time, stream, data, schema_version, prev_hash, hash, task_id)
        SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],
          $6::document[], $7::integer[], $8::text[], $9::text[], $10::text[])
      ), t AS (
        INSERT INTO ${q}.tasks (id, task) SELECT * FROM unnest($11::text[], $12::document[])
        ON CONFLICT (id) DO UPDATE SET task = excluded.task
      ), oi AS (
        INSERT INTO ${q}.occurrences (first_seq, id, task_id, state, live, holds_place,
          scheduled_ms, occurrence, execution, first_at, retries_left, outcome)
        SELECT * FROM unnest($13::bigint[], $14::text[], $15::text[], $16::text[], $17::boolean[],
          $18::boolean[], $19::bigint[], $20::document[], $21::document[], $22::text[], $23::integer[],
          $24::text[])
      ), ou AS (
        UPDATE ${q}.occurrences o SET state = u.state, live = u.live, holds_place = u.holds,
          execution = u.execution, first_at = u.first_at, retries_left = u.retries,
          outcome = u.outcome
        FROM unnest($25::text[], $26::text[], $27::boolean[], $28::boolean[], $29::document[],
          $30::text[], $31::integer[], $32::text[])
          AS u(id, state, live, holds, execution, first_at, retries, outcome)
        WHERE o.id = u.id
      ), s AS (
        INSERT INTO ${q}.log_state (key, value) SELECT * FROM unnest($33::text[], $34::text[])
        ON CONFLICT (key) DO UPDATE SET value = excluded.value
      ), c AS (
        INSERT INTO ${q}.checkpoints (seq, key_id, hash, time, signature)
        SELECT * FROM unnest($35::bigint[], $36::text[], $37::text[], $38::text[], $39::text[])
        ON CONFLICT DO NOTHING
      )
      SELECT pg_notify($40, $41)`;
    this.#documents = new Set(
      Array.from(write.matchAll(/\$(\d+)::document\[\]/g), ([, n]) => Number(n) - 1),
    );
    this.#write = write.replace(
      /\$(\d+)::(bigint|text|integer|boolean|document)\[\]/g,
      (_all, n: string, type: string) =>
        type === 'document' ? documentColumn(Number(n)) : jsonColumn(Number(n), type),
    );
    this.#live = `
      SELECT 0 AS k, 0::bigint AS o, NULL::bigint, 'h'::text, hash, NULL::text, NULL::text, NULL::integer, seq
        FROM (SELECT seq, hash FROM ${q}.entries ORDER BY seq DESC LIMIT 1) h
      UNION ALL
      SELECT 1, 0, NULL, key, value, NULL, NULL, NULL, NULL FROM ${q}.log_state
      UNION ALL
      SELECT 2, pos, NULL, NULL, task, NULL, NULL, NULL, NULL FROM ${q}.tasks
      UNION ALL
      SELECT 3, first_seq, first_seq, NULL, occurrence, execution, first_at, retries_left, NULL
        FROM ${q}.occurrences WHERE live
      ORDER BY 1, 2`;
  }

  /** Reads the head, the mark and what `referenced` names, in the caller's transaction. */
  async prefetch(client: Pg.PoolClient, referenced: Referenced): Promise<PrefetchedState> {
    const { rows } = await client.query<PrefetchRow>({
      name: this.#names.prefetch,
      text: this.#prefetch,
      values: [referenced.occurrenceIds, referenced.taskIds, referenced.triggerStreams],
      rowMode: 'array',
    });
    return PrefetchedState.fromRows(rows);
  }

  /**
   * Writes a group's entries, read model changes, state rows and checkpoint in one statement
   * (after deleting the tasks the group removed), and queues the NOTIFY of the new head.
   */
  async write(
    client: Pg.PoolClient,
    args: Readonly<{
      entries: readonly Readonly<{
        seq: number;
        id: string;
        type: string;
        time: string;
        stream: string;
        dataJson: string;
        schemaVersion: number;
        prevHash: string;
        hash: string;
        taskId: string | null;
      }>[];
      changes: GroupChanges;
      /** `first_seq` from which a record is new (inserted) rather than updated. */
      fromSeq: number;
      state: ReadonlyMap<string, string>;
      checkpoint:
        | Readonly<{ seq: number; keyId: string; hash: string; time: string; signature: string }>
        | undefined;
      channel: string;
      head: LogHead;
    }>,
  ): Promise<void> {
    const { entries, changes } = args;
    if (changes.removedTasks.size > 0) {
      await client.query(`DELETE FROM ${this.#q}.tasks WHERE id = ANY($1::text[])`, [
        [...changes.removedTasks],
      ]);
    }
    const e: unknown[][] = [[], [], [], [], [], [], [], [], [], []];
    for (const entry of entries) {
      e[0]!.push(entry.seq);
      e[1]!.push(entry.id);
      e[2]!.push(entry.type);
      e[3]!.push(entry.time);
      e[4]!.push(entry.stream);
      e[5]!.push(entry.dataJson);
      e[6]!.push(entry.schemaVersion);
      e[7]!.push(entry.prevHash);
      e[8]!.push(entry.hash);
      e[9]!.push(entry.taskId);
    }
    const t: unknown[][] = [[], []];
    for (const [id, task] of changes.tasks) {
      if (task === null) continue;
      t[0]!.push(id);
      t[1]!.push(JSON.stringify(task));
    }
    const oi: unknown[][] = Array.from({ length: 12 }, () => []);
    const ou: unknown[][] = Array.from({ length: 8 }, () => []);
    for (const [id, record] of changes.records) {
      const { execution, occurrence } = record;
      const waiting = compactWaiting(record);
      const executionJson = waiting === undefined ? JSON.stringify(execution) : null;
      const at = waiting === undefined ? null : waiting.at;
      const retries = waiting === undefined ? null : waiting.retriesRemaining;
      const live = isLive(execution);
      const holds = holdsPlace(execution);
      const outcome = execution.outcome ?? null;
      if (record.firstSeq < args.fromSeq) {
        pushRow(ou, id, execution.state, live, holds, executionJson, at, retries, outcome);
        continue;
      }
      pushRow(
        oi,
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
        outcome,
      );
    }
    const s: unknown[][] = [[], []];
    const state = new Map(args.state);
    if (changes.calendar !== undefined) state.set(CALENDAR, JSON.stringify(changes.calendar));
    if (changes.status !== undefined) state.set(STATUS, changes.status);
    for (const [key, value] of state) {
      s[0]!.push(key);
      s[1]!.push(value);
    }
    const cp = args.checkpoint;
    const c: unknown[][] =
      cp === undefined
        ? [[], [], [], [], []]
        : [[cp.seq], [cp.keyId], [cp.hash], [cp.time], [cp.signature]];
    const columns = [...e, ...t, ...oi, ...ou, ...s, ...c].map((column, i) =>
      this.#documents.has(i) ? documentsArray(column as (string | null)[]) : JSON.stringify(column),
    );
    await client.query({
      name: this.#names.write,
      text: this.#write,
      values: [...columns, args.channel, String(args.head.seq)],
    });
  }

  /** Tasks, calendar, status and the live set, read in one statement (one snapshot). */
  async loadLive(db: Queryable): Promise<LiveState> {
    const { rows } = await db.query<
      [
        number,
        number,
        number | null,
        string | null,
        string | null,
        string | null,
        string | null,
        number | null,
        number | null,
      ]
    >({ name: this.#names.live, text: this.#live, rowMode: 'array' });
    let head: LogHead = { seq: 0, hash: GENESIS_HASH };
    let calendar: CalendarConfig | undefined;
    let status: SchedulerStatus = 'idle';
    const tasks: Task[] = [];
    const live: (OccurrenceRecord | WaitingRecord)[] = [];
    for (const [kind, , firstSeq, key, a, b, c, d, seq] of rows) {
      if (kind === 0) head = { seq: seq!, hash: a! };
      else if (kind === 1) {
        if (key === CALENDAR) calendar = deepFreeze(JSON.parse(a!) as CalendarConfig);
        else if (key === STATUS) status = a as SchedulerStatus;
      } else if (kind === 2) tasks.push(deepFreeze(JSON.parse(a!) as Task));
      else live.push(toLiveRecord([firstSeq!, a!, b, c, d]));
    }
    return { head, tasks, calendar, status, live };
  }

  async record(db: Queryable, occurrenceId: string): Promise<OccurrenceRecord | undefined> {
    const { rows } = await db.query<RecordRow>({
      text: `SELECT ${RECORD_COLUMNS} FROM ${this.#q}.occurrences WHERE id = $1`,
      values: [occurrenceId],
      rowMode: 'array',
    });
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async queryRecords(db: Queryable, query: RecordQuery): Promise<Page<OccurrenceRecord>> {
    const params: unknown[] = [query.after ?? (query.descending ? Number.MAX_SAFE_INTEGER : 0)];
    const p = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const where: string[] = [query.descending ? 'first_seq < $1' : 'first_seq > $1'];
    if (query.taskId !== undefined) where.push(`task_id = ${p(query.taskId)}`);
    if (query.states !== undefined) {
      if (query.states.every((state) => state === 'scheduled' || state === 'triggered')) {
        where.push('live');
      }
      where.push(`state = ANY(${p(query.states)}::text[])`);
    }
    if (query.outcomes !== undefined) {
      // As on SQLite, the state means the outcome except after a follow-up; those rows are
      // answered from the `outcome` column. (Reading it from the execution JSON, as SQLite
      // does, fails on PostgreSQL for a record whose error message holds a \u0000 escape:
      // json and jsonb both refuse to decode it.)
      const implied = query.outcomes.map((outcome) => OUTCOME_STATE[outcome]);
      where.push(
        `(state = ANY(${p(implied)}::text[]) OR (state = ANY(${p(FOLLOWED_UP_STATES)}::text[]) AND outcome = ANY(${p(query.outcomes)}::text[])))`,
      );
    }
    if (query.fromMs !== undefined) where.push(`scheduled_ms >= ${p(query.fromMs)}`);
    if (query.toMs !== undefined) where.push(`scheduled_ms < ${p(query.toMs)}`);
    const sql = `SELECT ${RECORD_COLUMNS} FROM ${this.#q}.occurrences WHERE ${where.join(' AND ')} ORDER BY first_seq ${query.descending ? 'DESC' : 'ASC'} LIMIT ${p(query.limit + 1)}`;
    const { rows } = await db.query<RecordRow>({ text: sql, values: params, rowMode: 'array' });
    return toPage(rows.map(toRecord), query.limit, (record) => record.firstSeq);
  }

  async queryHistory(db: Queryable, query: EntryQuery): Promise<Page<StoredEvent>> {
    const { descending } = query;
    const params: unknown[] = [query.after ?? (descending ? Number.MAX_SAFE_INTEGER : 0)];
    const p = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const where = [descending ? 'seq < $1' : 'seq > $1'];
    if ('taskId' in query) where.push(`task_id = ${p(query.taskId)}`);
    else {
      // An occurrence's entries are the steps of its record.
      const record = await this.record(db, query.occurrenceId);
      if (record === undefined) return { items: [] };
      where.push(`seq = ANY(${p(record.execution.history.map((step) => step.seq))}::bigint[])`);
    }
    if (query.fromMs !== undefined)
      where.push(`time >= ${p(new Date(query.fromMs).toISOString())}`);
    if (query.toMs !== undefined) where.push(`time < ${p(new Date(query.toMs).toISOString())}`);
    const sql = `SELECT ${ENTRY_COLUMNS} FROM ${this.#q}.entries WHERE ${where.join(' AND ')} ORDER BY seq ${descending ? 'DESC' : 'ASC'} LIMIT ${p(query.limit + 1)}`;
    const { rows } = await db.query<EntryRow>({ text: sql, values: params, rowMode: 'array' });
    return toPage(rows.map(rowToStoredEvent), query.limit, (entry) => entry.seq);
  }

  async placesSince(db: Queryable, sinceMs: number): Promise<Place[]> {
    const { rows } = await db.query<[string, number]>({
      text: `SELECT id, scheduled_ms FROM ${this.#q}.occurrences WHERE holds_place AND NOT live AND scheduled_ms >= $1`,
      values: [sinceMs],
      rowMode: 'array',
    });
    return rows.map(([occurrenceId, ms]) => ({
      occurrenceId,
      scheduledFor: new Date(ms).toISOString(),
    }));
  }
}

/** The first `limit` items, with a cursor when a further one was read. */
function toPage<T>(items: T[], limit: number, positionOf: (item: T) => number): Page<T> {
  if (items.length <= limit) return { items };
  items.length = limit;
  return { items, nextCursor: encodeCursor(positionOf(items[limit - 1]!)) };
}
