import type { Observable } from 'rxjs';
import type { CalendarConfig, Execution, Occurrence, Task } from '../domain/types.js';
import { parseCalendar } from '../domain/validateCalendar.js';
import { parseOccurrence } from '../domain/validateOccurrence.js';
import type { HistoryQuery } from '../log/EventLog.js';
import { type StoredEvent, streams } from '../log/events.js';
import type { OccurrenceFilter } from '../log/ReadModel.js';
import type { VerifyResult } from '../log/verifyChain.js';
import { guardedObservable } from './guardedObservable.js';
import {
  cancelOccurrence,
  parseOccurrenceList,
  scheduleOccurrence,
  scheduleOccurrences,
  triggeredId,
  triggerNow,
} from './occurrenceCommands.js';
import { scheduleAll } from './planOccurrence.js';
import { SchedulerContext, stoppedError } from './SchedulerContext.js';
import { resolveSchedulerOptions, type SchedulerOptions } from './schedulerOptions.js';
import { stopScheduler } from './stopScheduler.js';
import { defineTask, removeTask, updateTask } from './taskCommands.js';

/** What `scheduleOccurrence` did with the occurrence it was given. */
export type ScheduleResult = 'armed' | 'skipped' | 'not-pending' | 'paused';

/** What `triggerNow` can be asked to fire: a pending occurrence, or a task (a new manual run). */
export type TriggerTarget = Readonly<{ occurrenceId: string } | { taskId: string }>;

/**
 * The scheduler: the seed's `SmartSchedulerService` as an event-sourced actor system.
 *
 * Every decision goes through one command queue (read the model, decide with the planners,
 * append), every fact is appended to the log before anything acts on it, and each active
 * occurrence runs as an XState actor on the scheduler's timer queue. See
 * docs/architecture.md for the design and docs/lifecycle.md for the rules.
 *
 * Create one with {@link createScheduler}.
 */
export class SmartScheduler {
  /** The state the scheduler's parts share; each public method is a command on its queue. */
  readonly #ctx: SchedulerContext;

  /** Resolves once the log is open and folded; every method waits for it on its own. */
  readonly ready: Promise<void>;

  constructor(options: SchedulerOptions = {}) {
    this.#ctx = new SchedulerContext(resolveSchedulerOptions(options));
    this.ready = this.#ctx.ready;
  }

  // ── the seed's five methods ───────────────────────────────────────────────────────────

  /**
   * Starts (or resumes) scheduling: re-arms every future occurrence, then checks for missed
   * ones — the seed's order. Occurrences whose handler was interrupted by a crash are
   * recorded as failed first and retried per policy. Calling it while running re-arms again
   * (replacing timers), which never triggers anything twice.
   */
  async start(): Promise<void> {
    const ctx = this.#ctx;
    const claims = await ctx.command(async () => {
      if (ctx.supervisor.status === 'stopped') throw stoppedError('start');
      return ctx.transition({ type: 'START' });
    });
    await Promise.all(claims);
  }

  /**
   * Pauses: every timer is disarmed and nothing is scheduled or triggered until `start`.
   * A handler already running finishes and its outcome is recorded; its follow-up is
   * recorded as scheduled and armed at the next `start`.
   */
  async pause(): Promise<void> {
    await this.#ctx.command(() => this.#ctx.transition({ type: 'PAUSE' }));
  }

  /** Re-arms every occurrence that is still pending and due in the future (no-op when paused). */
  async scheduleAll(): Promise<void> {
    await this.#ctx.command(() => scheduleAll(this.#ctx));
  }

  /**
   * Records (if new) and arms one occurrence, replacing any timer it already has. Skipped
   * (and recorded as skipped) when the calendar rejects its slot; ignored when it already
   * ran or the scheduler is paused. Due now or in the past: it triggers at once.
   * @throws ValidationError for a malformed occurrence; NotFoundError for an unknown task.
   */
  async scheduleOccurrence(occurrence: Occurrence): Promise<ScheduleResult> {
    const valid = parseOccurrence(occurrence);
    const result = await this.#ctx.command(() => scheduleOccurrence(this.#ctx, valid));
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
  async scheduleOccurrences(occurrences: readonly Occurrence[]): Promise<ScheduleResult[]> {
    const valid = parseOccurrenceList(occurrences);
    const planned = await this.#ctx.command(() => scheduleOccurrences(this.#ctx, valid));
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
    const claims = await this.#ctx.command(() => this.#ctx.transition({ type: 'CHECK_MISSED' }));
    await Promise.all(claims);
  }

  // ── tasks and occurrences ─────────────────────────────────────────────────────────────

  /**
   * Defines a task (untrusted input, validated) and plans its first occurrence. Defining a
   * task that exists with the same definition does nothing, so an app can define its tasks
   * at every start-up; a changed definition is an update.
   * @throws ValidationError with the field at fault.
   */
  async defineTask(input: unknown): Promise<Task> {
    return this.#ctx.command(() => defineTask(this.#ctx, input));
  }

  /**
   * Changes a task: its pending occurrences are cancelled and the first occurrence of the new
   * definition is planned.
   * @throws NotFoundError for an unknown task; ValidationError for a bad change.
   */
  async updateTask(taskId: string, changes: Readonly<Record<string, unknown>>): Promise<Task> {
    return this.#ctx.command(() => updateTask(this.#ctx, taskId, changes));
  }

  /** Removes a task and cancels its pending occurrences. @throws NotFoundError */
  async removeTask(taskId: string): Promise<void> {
    await this.#ctx.command(() => removeTask(this.#ctx, taskId));
  }

  /**
   * Cancels a pending occurrence.
   * @throws NotFoundError for an unknown occurrence; StateError when it already triggered.
   */
  async cancelOccurrence(occurrenceId: string): Promise<void> {
    await this.#ctx.command(() => cancelOccurrence(this.#ctx, occurrenceId));
  }

  /**
   * Fires now, by hand: a pending occurrence (whatever its time), or a new manual occurrence
   * of a task. Works while paused. Resolves with the occurrence id once the trigger was
   * recorded (the handler then runs on its own).
   * @throws NotFoundError, or StateError when the occurrence already triggered.
   */
  async triggerNow(target: TriggerTarget): Promise<string> {
    const trigger = await this.#ctx.command(() => triggerNow(this.#ctx, target));
    return triggeredId(trigger);
  }

  /** Replaces the calendar (untrusted input, validated). Pending occurrences are re-checked by `scheduleAll`. */
  async configureCalendar(input: unknown): Promise<CalendarConfig> {
    return this.#ctx.command(async () => {
      const calendar = parseCalendar(input);
      await this.#ctx.append([
        { type: 'calendar.configured', stream: streams.calendar, data: { calendar } },
      ]);
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
    await stopScheduler(this.#ctx);
  }

  // ── reading ───────────────────────────────────────────────────────────────────────────

  /** `idle` before the first `start`, then `running`, `paused` or `stopped`. */
  get status(): 'idle' | 'running' | 'paused' | 'stopped' {
    return this.#ctx.supervisor.status;
  }

  /**
   * Every appended log entry, in order (an rxjs Observable; `subscribe(fn)` works as is). A
   * callback given to its `subscribe` that throws is reported on {@link errors} and stays
   * subscribed; callbacks behind rxjs operators follow rxjs's own rule.
   */
  get events(): Observable<StoredEvent> {
    // A subscriber that throws is reported on `errors`, and stays subscribed.
    return guardedObservable(this.#ctx.events, this.#ctx.report);
  }

  /**
   * Errors no caller was waiting for (e.g. the store failed during a timer-driven trigger).
   * A subscriber that throws is reported to `onError`.
   */
  get errors(): Observable<unknown> {
    // A subscriber that throws is reported to `onError` only (not back here, no loop).
    return guardedObservable(this.#ctx.errors, this.#ctx.callOnError);
  }

  /** Occurrences currently armed: live actors waiting plus far-future timer entries. */
  get armedCount(): number {
    return this.#ctx.arming.armedCount;
  }

  listTasks(): readonly Task[] {
    return this.#ctx.model().listTasks();
  }

  getTask(taskId: string): Task | undefined {
    return this.#ctx.model().getTask(taskId);
  }

  listOccurrences(filter?: OccurrenceFilter): readonly Occurrence[] {
    return this.#ctx.model().listOccurrences(filter);
  }

  listExecutions(filter?: OccurrenceFilter): readonly Execution[] {
    return this.#ctx.model().listExecutions(filter);
  }

  getOccurrence(occurrenceId: string): Occurrence | undefined {
    return this.#ctx.model().getOccurrence(occurrenceId);
  }

  getExecution(occurrenceId: string): Execution | undefined {
    return this.#ctx.model().getExecution(occurrenceId);
  }

  get calendar(): CalendarConfig {
    return this.#ctx.calendar();
  }

  /** Every log entry about a task (and its occurrences) or about one occurrence. */
  async history(query: HistoryQuery): Promise<readonly StoredEvent[]> {
    await this.ready;
    return this.#ctx.requireLog().history(query);
  }

  /** Verifies the log's hash chain. */
  async verify(): Promise<VerifyResult> {
    await this.ready;
    return this.#ctx.requireLog().verify();
  }
}
