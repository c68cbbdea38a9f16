import type { Observable, Subject } from 'rxjs';
import { applyRecipe } from '../domain/applyRecipe.js';
import { StateError } from '../domain/errors.js';
import type {
  BackfillOptions,
  CalendarConfig,
  CalendarInput,
  CalendarRecipe,
  Execution,
  HistoryQuery,
  NextRunsOptions,
  Occurrence,
  OccurrenceQuery,
  Page,
  ScheduledOccurrenceInput,
  SchedulerStatus,
  Task,
  TaskChangesFor,
  TaskInputFor,
  TaskRecipe,
  TriggerTarget,
} from '../domain/types.js';
import { parseBackfill } from '../domain/validateBackfill.js';
import { parseCalendar } from '../domain/validateCalendar.js';
import { parseHistoryQuery } from '../domain/validateHistoryQuery.js';
import { parseId } from '../domain/validateId.js';
import { parseNextRuns } from '../domain/validateNextRuns.js';
import { parseOccurrence } from '../domain/validateOccurrence.js';
import { parseOccurrenceQuery } from '../domain/validateOccurrenceQuery.js';
import { parseTaskChanges } from '../domain/validateTaskChanges.js';
import { parseTriggerTarget } from '../domain/validateTriggerTarget.js';
import type { EventLog } from '../log/EventLog.js';
import type { StoredEvent } from '../log/events.js';
import { calendarConfigured } from '../log/facts.js';
import type { VerifyResult } from '../log/verifyChain.js';
import type { VerifyOptions } from '../log/verifyCheckpoints.js';
import type { TimerQueue } from '../time/TimerQueue.js';
import type { OccurrenceActors } from './actors/OccurrenceActors.js';
import type { RunningHandlers } from './actors/RunningHandlers.js';
import type { Supervisor } from './actors/Supervisor.js';
import type { CommandQueue } from './CommandQueue.js';
import { type BackfillResult, backfill } from './commands/backfill.js';
import { transition } from './commands/lifecycle.js';
import { isScheduling, stoppedError } from './commands/lookups.js';
import { nextRuns } from './commands/nextRuns.js';
import {
  cancelOccurrence,
  parseOccurrenceList,
  scheduleOccurrence,
  scheduleOccurrences,
  triggeredId,
  triggerNow,
} from './commands/occurrenceCommands.js';
import type { ScheduleResult } from './commands/plan.js';
import { scheduleAll } from './commands/scheduleAll.js';
import {
  defineTask,
  removeTask,
  setTaskPaused,
  type TaskResult,
  updateTask,
  updateTaskWith,
} from './commands/taskCommands.js';
import { recountFarPlaces } from './commands/widenWindow.js';
import type { Handlers } from './handlers.js';
import type { SchedulerParts } from './SchedulerParts.js';
import { stopScheduler } from './stopScheduler.js';
import type { WriteFaults } from './WriteFaults.js';

/** What `createScheduler` hands the facade: the queue and the parts it talks to directly. */
export type SchedulerWiring = Readonly<{
  queue: CommandQueue<SchedulerParts>;
  supervisor: Supervisor;
  handlers: RunningHandlers;
  timers: TimerQueue;
  /** `scheduler.events` and `scheduler.errors`, guarded against subscribers that throw. */
  events: Observable<StoredEvent>;
  errors: Observable<unknown>;
  /** The subjects behind them, completed by `stop()`. */
  streams: Readonly<{ events: Subject<StoredEvent>; errors: Subject<unknown> }>;
  /** Settles once the log is open and the parts are built. */
  opening: Promise<SchedulerParts>;
}>;

/**
 * The scheduler: the seed's `SmartSchedulerService` as an event-sourced actor system.
 *
 * Every decision goes through one command queue (read the model, decide with the planners,
 * append), every fact is appended to the log before anything acts on it, and each active
 * occurrence runs as an XState actor, a child of the supervisor, on the scheduler's timer
 * queue. See docs/architecture.md for the design and docs/lifecycle.md for the rules.
 *
 * Create one with {@link createScheduler}. `H` is its handler map: a task's `handler` must
 * name one of its handlers (checked by `tsc`, and at run time when a map was given).
 */
export class SmartScheduler<H extends Handlers = Handlers> {
  readonly #wiring: SchedulerWiring;
  readonly #queue: CommandQueue<SchedulerParts>;
  /** The open log, for reads outside the queue (the model, history, verify). */
  #log: EventLog | undefined;
  /** The live set, for `armedCount`. */
  #actors: OccurrenceActors | undefined;
  /** The open degraded period, for `triggerNow`'s error. */
  #faults: WriteFaults | undefined;
  #stopTimeoutMs = 0;

  /** Resolves once the log is open and folded; every method waits for it on its own. */
  readonly ready: Promise<void>;

  /** @internal Built by {@link createScheduler}, the composition root. */
  constructor(wiring: SchedulerWiring) {
    this.#wiring = wiring;
    this.#queue = wiring.queue;
    this.ready = wiring.opening.then((parts) => {
      this.#log = parts.log;
      this.#actors = parts.actors;
      this.#faults = parts.faults;
      this.#stopTimeoutMs = parts.options.stopTimeoutMs;
    });
    // The failure is reported by createScheduler and seen by every method; not unhandled here.
    this.ready.catch(() => undefined);
  }

  // ── the seed's five methods ───────────────────────────────────────────────────────────

  /**
   * Starts (or resumes) scheduling: re-arms every future occurrence, then checks for missed
   * ones — the seed's order. Occurrences whose handler was interrupted by a crash are
   * recorded as failed first and retried per policy. Calling it while running re-arms again
   * (replacing timers), which never triggers anything twice.
   *
   * The first `start()` takes this scheduler's lease on its log before it records anything;
   * the SQLite and memory stores allow one running scheduler at a time.
   * @throws LogHeldError (`planflow:log-held`, naming the holder's instance, pid, host and
   * start) while another running scheduler holds the log; nothing is recorded then.
   */
  async start(): Promise<void> {
    const claims = await this.#queue.run(async (tx) => {
      if (tx.parts.supervisor.status === 'stopped') throw stoppedError('start');
      await tx.parts.lease.hold();
      // In a fleet the lease says this instance runs again, before it re-arms its tasks.
      await tx.parts.lease.setPaused(false);
      return transition(tx, { type: 'START' });
    });
    await Promise.all(claims);
  }

  /**
   * Pauses: every timer is disarmed and nothing is scheduled or triggered until `start`.
   * A handler already running finishes and its outcome is recorded; its follow-up is
   * recorded as scheduled and armed at the next `start`.
   */
  async pause(): Promise<void> {
    await this.#queue.run((tx) => transition(tx, { type: 'PAUSE' }));
  }

  /** Re-arms every occurrence that is still pending and due in the future (no-op when paused). */
  async scheduleAll(): Promise<void> {
    await this.#queue.run((tx) => scheduleAll(tx));
  }

  /**
   * Records (if new) and arms one occurrence, replacing any timer it already has. Skipped
   * (and recorded as skipped) when the calendar rejects its slot; ignored when it already
   * ran or the scheduler is paused. Due now or in the past: it triggers at once.
   * @throws ValidationError for a malformed occurrence; NotFoundError for an unknown task.
   */
  async scheduleOccurrence(occurrence: ScheduledOccurrenceInput): Promise<ScheduleResult> {
    const valid = parseOccurrence(occurrence);
    const result = await this.#queue.run((tx) => scheduleOccurrence(tx, valid));
    if (result.claim !== undefined) await result.claim;
    return result.result;
  }

  /**
   * {@link scheduleOccurrence} for a whole list, as one command: one validation pass, one
   * append of every `occurrence.scheduled` and `occurrence.skipped` event, one fold, then
   * the timers. Each item gets the result that calling `scheduleOccurrence` for the items one
   * after another would give it (the calendar sees earlier items of the list as taken; a
   * repeated id is decided against its earlier item), in input order. All or nothing on bad
   * input: nothing is recorded when an item is malformed or names an unknown task. Items due
   * now trigger at once; the call resolves once they were claimed.
   *
   * Much cheaper per occurrence than one call each (no await, queue pass and append per
   * item), but the command holds the queue for the whole list: for long lists, call it in
   * chunks of about a thousand so timers and other commands get their turn in between.
   * @throws ValidationError naming the failing item's index (`field` `[3].scheduledFor`);
   * NotFoundError for an unknown task.
   */
  async scheduleOccurrences(
    occurrences: readonly ScheduledOccurrenceInput[],
  ): Promise<ScheduleResult[]> {
    const valid = parseOccurrenceList(occurrences);
    const planned = await this.#queue.run((tx) => scheduleOccurrences(tx, valid));
    if (planned.claims.length > 0) await Promise.all(planned.claims);
    return planned.results;
  }

  /**
   * The seed's missed check: every pending occurrence whose time has passed is triggered now
   * when it is late by at most `graceMs`, otherwise recorded as missed and handed to the
   * recovery service, whose occurrences are scheduled. Resolves after the late ones were
   * claimed. Runs by itself after a clock jump (sleep, suspension).
   */
  async checkForMissedTasks(): Promise<void> {
    const claims = await this.#queue.run((tx) => transition(tx, { type: 'CHECK_MISSED' }));
    await Promise.all(claims);
  }

  // ── tasks and occurrences ─────────────────────────────────────────────────────────────

  /**
   * Defines a task (untrusted input, validated) and plans its first occurrence. Defining a
   * task that exists with the same definition does nothing, so an app can define its tasks
   * at every start-up; a changed definition is an update. A paused task stays paused unless
   * the input says `paused: false`.
   * @throws ValidationError with the field at fault.
   */
  async defineTask(input: TaskInputFor<H>): Promise<Task> {
    return this.#settled(await this.#queue.run((tx) => defineTask(tx, input)));
  }

  /**
   * Changes a task: its pending occurrences are cancelled and the first occurrence of the new
   * definition is planned (a waiting one the change does not move is kept). `changes` names
   * the fields to change (`retry` and a recurrence of the same kind are merged, so a new
   * `cron` keeps its `timeZone`; `null` removes a field) — or is an immer-style recipe that
   * edits a deep copy of the task (`TaskRecipe`). `paused: true` pauses it and `paused: false`
   * (or `null`, or a recipe deleting `paused`) resumes it, as {@link pauseTask} and
   * {@link resumeTask} do; a pause state alone cancels nothing.
   * @throws NotFoundError for an unknown task; ValidationError for a bad change.
   * @example
   * await scheduler.updateTask('standup', { recurrence: { cron: '0 10 * * 1-5' } });
   * await scheduler.updateTask('standup', (draft) => {
   *   draft.retry.maxRetries = 3;
   * });
   */
  async updateTask(taskId: string, changes: TaskChangesFor<H> | TaskRecipe): Promise<Task> {
    const id = parseId(taskId, 'updateTask', 'taskId');
    if (typeof changes === 'function') {
      return this.#settled(await this.#queue.run((tx) => updateTaskWith(tx, id, changes)));
    }
    const valid = parseTaskChanges(changes, id);
    return this.#settled(await this.#queue.run((tx) => updateTask(tx, id, valid)));
  }

  /**
   * Pauses one task, recorded as `task.paused`: its waiting occurrences are disarmed, so none
   * triggers by time or is recorded missed while it is paused; occurrences planned for it
   * meanwhile (a running handler's follow-up) are recorded and not armed. `triggerNow` still
   * runs it, and the scheduler-wide `pause` is independent. Pausing a paused task records
   * nothing. Survives restarts (the task is paused in the log).
   * @throws NotFoundError for an unknown task.
   */
  async pauseTask(taskId: string): Promise<Task> {
    const id = parseId(taskId, 'pauseTask', 'taskId');
    return this.#settled(await this.#queue.run((tx) => setTaskPaused(tx, id, true, 'pauseTask')));
  }

  /**
   * Resumes a paused task, recorded as `task.resumed`: its occurrences still to come are armed
   * again, then the missed check runs for the ones whose time passed while it was paused —
   * late by at most `graceMs` they trigger now, later they are recorded missed and recovered
   * per the recovery service (a recurring task's series goes on from its next due time).
   * Resolves once those triggered were claimed. Resuming a running task records nothing.
   * @throws NotFoundError for an unknown task.
   */
  async resumeTask(taskId: string): Promise<Task> {
    const id = parseId(taskId, 'resumeTask', 'taskId');
    return this.#settled(await this.#queue.run((tx) => setTaskPaused(tx, id, false, 'resumeTask')));
  }

  /** Waits, outside the queue, for the claims a task command's missed check started. */
  async #settled(result: TaskResult): Promise<Task> {
    if (result.claims.length > 0) await Promise.all(result.claims);
    return result.task;
  }

  /** Removes a task and cancels its pending occurrences. @throws NotFoundError */
  async removeTask(taskId: string): Promise<void> {
    const id = parseId(taskId, 'removeTask', 'taskId');
    await this.#queue.run((tx) => removeTask(tx, id));
  }

  /**
   * Cancels a pending occurrence.
   * @throws NotFoundError for an unknown occurrence; StateError when it already triggered.
   */
  async cancelOccurrence(occurrenceId: string): Promise<void> {
    const id = parseId(occurrenceId, 'cancelOccurrence', 'occurrenceId');
    await this.#queue.run((tx) => cancelOccurrence(tx, id));
  }

  /**
   * Fires now, by hand: a pending occurrence (whatever its time), or a new manual occurrence
   * of a task. Works while paused, and is tried while degraded. Resolves with the occurrence
   * id once the trigger was recorded (the handler then runs on its own).
   * @throws NotFoundError; StateError when the occurrence already triggered; DegradedError
   * (`planflow:degraded`, the store's error as `cause`) when the store refused the trigger, so
   * the handler did not run.
   */
  async triggerNow(target: TriggerTarget): Promise<string> {
    const valid = parseTriggerTarget(target);
    const trigger = await this.#queue.run((tx) => triggerNow(tx, valid));
    return triggeredId(trigger, () => {
      const faults = this.#faults;
      const period = faults?.period;
      if (faults === undefined || period === undefined) return undefined;
      return { error: period.lastError, retry: faults.retry };
    });
  }

  /**
   * The task's next `n` runs (1–1000) as the planners would place them — the calendar
   * applied (working hours, slots, the cap per day, exclusive instants), the task's jitter
   * too — without recording or arming anything. The list starts with the task's next pending
   * occurrence and follows its recurrence from there; with `from`, it starts with the first
   * run at or after that instant. Each item is the `Occurrence` that would be planned, with
   * the id it would get. Shorter when the series ends; a paused task lists what it would run
   * once resumed.
   * @throws NotFoundError for an unknown task; ValidationError for a bad `n` or `from`.
   * @example
   * const runs = await scheduler.nextRuns('standup', 5);
   * runs.map((o) => o.scheduledFor);
   */
  async nextRuns(
    taskId: string,
    n: number,
    options?: NextRunsOptions,
  ): Promise<readonly Occurrence[]> {
    const id = parseId(taskId, 'nextRuns', 'taskId');
    const request = parseNextRuns(n, options);
    return Object.freeze(await this.#queue.run((tx) => nextRuns(tx, id, request)));
  }

  /**
   * Runs the occurrences the task's recurrence would have had in a past range, `[from, to)`,
   * placed by the calendar as `nextRuns` places them: recorded with cause `'backfill'`, each
   * naming its `slot`, triggered now (never recorded missed) and, with `overlap: 'bufferAll'`
   * (the default), one after another, oldest first; `allowAll` starts them all at once.
   * At most 1000 slots per call (`MAX_BACKFILL_RUNS`).
   * @throws ValidationError for a bad range (`from < to ≤ now`), a task without recurrence or
   * too many slots; NotFoundError for an unknown task.
   * @example
   * await scheduler.backfill('report', { from: '2026-03-01T00:00:00Z', to: '2026-03-02T00:00:00Z' });
   */
  async backfill(taskId: string, options: BackfillOptions): Promise<BackfillResult> {
    const id = parseId(taskId, 'backfill', 'taskId');
    return this.#queue.run((tx) => backfill(tx, id, parseBackfill(options, tx.parts.timers.now())));
  }

  /**
   * Replaces the calendar (untrusted input, validated), or changes it with an immer-style
   * recipe that edits a deep copy of the calendar in force (`CalendarRecipe`). Pending
   * occurrences are re-checked by `scheduleAll`.
   * @throws ValidationError for a bad calendar.
   * @example
   * await scheduler.configureCalendar((draft) => {
   *   draft.maxPerDay = 5;
   * });
   */
  async configureCalendar(input: CalendarInput | CalendarRecipe): Promise<CalendarConfig> {
    const given = typeof input === 'function' ? undefined : parseCalendar(input);
    return this.#queue.run(async (tx) => {
      const calendar =
        given ??
        parseCalendar(
          applyRecipe(tx.parts.occupancy.calendar, input as CalendarRecipe, 'configureCalendar'),
        );
      await tx.parts.log.append([calendarConfigured(calendar)]);
      // Instants made exclusive: those of the occurrences the live window left in the store
      // are read, so a decision sees them taken.
      if (tx.parts.occupancy.needsUnnamedInstants) await recountFarPlaces(tx);
      return calendar;
    });
  }

  /**
   * Stops for good: disarms every timer, waits up to `stopTimeoutMs` for running handlers,
   * then aborts the rest (their runs are recorded as failed with an `AbortError`), records
   * `scheduler.stopped` and releases the timer so the process can exit. The store stays open;
   * close it yourself. Stopping a scheduler that never started appends nothing, so a
   * read-and-write tool can open one, define tasks and let go without leaving a trace.
   * An aborted handler that ignores its signal is not awaited: its run is already recorded
   * as failed and its late result is dropped.
   */
  async stop(): Promise<void> {
    const { queue, supervisor, handlers, timers, streams } = this.#wiring;
    await this.ready;
    await stopScheduler({
      queue,
      supervisor,
      handlers,
      timers,
      events: streams.events,
      errors: streams.errors,
      stopTimeoutMs: this.#stopTimeoutMs,
    });
  }

  // ── reading ───────────────────────────────────────────────────────────────────────────

  /**
   * `idle` before the first `start`, then `running`, `paused` or `stopped` — or `degraded`:
   * running, but the store refuses writes. Then nothing is triggered by time, the store is
   * retried with backoff, and once it accepts a write again the scheduler records
   * `scheduler.degraded`, the runs it could not record, and resumes every series (what came
   * due meanwhile triggers late within grace or is recorded missed and recovered).
   */
  get status(): SchedulerStatus {
    return this.#wiring.supervisor.status;
  }

  /**
   * Every appended log entry, in order (an rxjs Observable; `subscribe(fn)` works as is). A
   * callback given to its `subscribe` that throws is reported on {@link errors} and stays
   * subscribed; callbacks behind rxjs operators follow rxjs's own rule.
   */
  get events(): Observable<StoredEvent> {
    return this.#wiring.events;
  }

  /**
   * Errors no caller was waiting for (e.g. the store failed during a timer-driven trigger).
   * A subscriber that throws is reported to `onError`.
   */
  get errors(): Observable<unknown> {
    return this.#wiring.errors;
  }

  /**
   * Occurrences currently armed: live actors waiting, far-future timer entries, and — while
   * running — the waiting occurrences of unpaused tasks beyond the live window, which the
   * store holds until the window reaches them.
   */
  get armedCount(): number {
    const armed = this.#actors?.armedCount ?? 0;
    const log = this.#log;
    if (log === undefined || !isScheduling(this.#wiring.supervisor.status)) return armed;
    let far = 0;
    log.model.forEachFar((taskId, count) => {
      if (log.model.getTask(taskId)?.paused !== true) far += count;
    });
    return armed + far;
  }

  listTasks(): readonly Task[] {
    return this.#model().listTasks();
  }

  getTask(taskId: string): Task | undefined {
    const id = parseId(taskId, 'getTask', 'taskId');
    return this.#model().getTask(id);
  }

  /**
   * Occurrences in the order first recorded, a page at a time, from the store's read model
   * (settled history included). Filters: `taskId`, `state`, `from`/`to` on `scheduledFor`;
   * paging: `limit` (default 1000), `cursor` (the previous page's `nextCursor`).
   */
  async listOccurrences(query?: OccurrenceQuery): Promise<Page<Occurrence>> {
    const valid = parseOccurrenceQuery(query, 'listOccurrences');
    await this.ready;
    const page = await this.#openLog().queryRecords(valid);
    return pageOf(page, (record) => record.occurrence);
  }

  /** Each occurrence's `Execution` (state, outcome, error, follow-up, history), as {@link listOccurrences}. */
  async listExecutions(query?: OccurrenceQuery): Promise<Page<Execution>> {
    const valid = parseOccurrenceQuery(query, 'listExecutions');
    await this.ready;
    const page = await this.#openLog().queryRecords(valid);
    return pageOf(page, (record) => record.execution);
  }

  /** One occurrence, live or settled. */
  async getOccurrence(occurrenceId: string): Promise<Occurrence | undefined> {
    const id = parseId(occurrenceId, 'getOccurrence', 'occurrenceId');
    await this.ready;
    return (await this.#openLog().record(id))?.occurrence;
  }

  /** One occurrence's execution record, live or settled. */
  async getExecution(occurrenceId: string): Promise<Execution | undefined> {
    const id = parseId(occurrenceId, 'getExecution', 'occurrenceId');
    await this.ready;
    return (await this.#openLog().record(id))?.execution;
  }

  get calendar(): CalendarConfig {
    return this.#model().calendar!;
  }

  /**
   * Log entries about a task (and its occurrences) or about one occurrence, in log order, a
   * page at a time (`from`/`to` on entry time, `limit`, `cursor`).
   */
  async history(query: HistoryQuery): Promise<Page<StoredEvent>> {
    const valid = parseHistoryQuery(query);
    await this.ready;
    return this.#openLog().history(valid);
  }

  /** Verifies the log's hash chain. */
  async verify(options?: VerifyOptions): Promise<VerifyResult> {
    await this.ready;
    return this.#openLog().verify(options);
  }

  #openLog(): EventLog {
    if (this.#log === undefined) {
      throw new StateError(
        'planflow:invalid-state',
        'SmartScheduler: the log is not open yet; await scheduler.ready first',
      );
    }
    return this.#log;
  }

  #model() {
    return this.#openLog().model;
  }
}

/** A page with each item mapped. */
function pageOf<A, B>(page: Page<A>, map: (item: A) => B): Page<B> {
  const items = page.items.map(map);
  return page.nextCursor === undefined ? { items } : { items, nextCursor: page.nextCursor };
}

export type { ScheduleResult };
