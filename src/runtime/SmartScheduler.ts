import type { Observable } from 'rxjs';
import { NotFoundError, StateError } from '../domain/errors.js';
import { makeOccurrence } from '../domain/makeOccurrence.js';
import type { CalendarConfig, Execution, Occurrence, Task } from '../domain/types.js';
import { parseCalendar } from '../domain/validateCalendar.js';
import { parseOccurrence } from '../domain/validateOccurrence.js';
import { parseTask } from '../domain/validateTask.js';
import type { HistoryQuery } from '../log/EventLog.js';
import { type NewEvent, type StoredEvent, streams } from '../log/events.js';
import type { OccurrenceFilter } from '../log/ReadModel.js';
import type { VerifyResult } from '../log/verifyChain.js';
import { plan, planFirst, scheduleAll } from './planOccurrence.js';
import { cancelledEvent, scheduledEvent } from './runtimeEvents.js';
import { SchedulerContext, stoppedError } from './SchedulerContext.js';
import { resolveSchedulerOptions, type SchedulerOptions } from './schedulerOptions.js';
import type { TimerQueue } from './TimerQueue.js';
import { areSameDefinition } from './taskChanges.js';

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
    const ctx = this.#ctx;
    const result = await ctx.command(async () => {
      if (ctx.supervisor.status !== 'running') return { result: 'paused' as const };
      if (ctx.model().getTask(valid.taskId) === undefined) {
        throw new NotFoundError(
          `SmartScheduler.scheduleOccurrence: task "${valid.taskId}" does not exist; define it first with defineTask()`,
        );
      }
      return plan(ctx, valid);
    });
    if (result.claim !== undefined) await result.claim;
    return result.result;
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
    const ctx = this.#ctx;
    return ctx.command(async () => {
      // One reading of the clock: `createdAt`, an interval's default anchor and the first
      // occurrence must agree on what "now" was.
      const now = new Date(ctx.options.clock.now());
      const task = parseTask(input, ctx.calendar(), now);
      const existing = ctx.model().getTask(task.id);
      if (existing !== undefined) {
        if (areSameDefinition(existing, task)) return existing;
        return this.#replaceTask(existing, { ...task, createdAt: existing.createdAt }, now);
      }
      await ctx.append([{ type: 'task.defined', stream: streams.task(task.id), data: { task } }]);
      await planFirst(ctx, task, now);
      return task;
    });
  }

  /**
   * Changes a task: its pending occurrences are cancelled and the first occurrence of the new
   * definition is planned.
   * @throws NotFoundError for an unknown task; ValidationError for a bad change.
   */
  async updateTask(taskId: string, changes: Readonly<Record<string, unknown>>): Promise<Task> {
    const ctx = this.#ctx;
    return ctx.command(async () => {
      const existing = ctx.requireTask(taskId, 'updateTask');
      const task = parseTask(
        { ...existing, ...changes, id: existing.id, createdAt: existing.createdAt },
        ctx.calendar(),
      );
      if (areSameDefinition(existing, task)) return existing;
      return this.#replaceTask(existing, task, new Date(ctx.options.clock.now()));
    });
  }

  /** Removes a task and cancels its pending occurrences. @throws NotFoundError */
  async removeTask(taskId: string): Promise<void> {
    const ctx = this.#ctx;
    await ctx.command(async () => {
      ctx.requireTask(taskId, 'removeTask');
      await ctx.append([
        { type: 'task.removed', stream: streams.task(taskId), data: { taskId } },
        ...this.#cancelPending(taskId, 'task-removed'),
      ]);
    });
  }

  /**
   * Cancels a pending occurrence.
   * @throws NotFoundError for an unknown occurrence; StateError when it already triggered.
   */
  async cancelOccurrence(occurrenceId: string): Promise<void> {
    const ctx = this.#ctx;
    await ctx.command(async () => {
      const execution = ctx.requirePending(occurrenceId, 'cancelOccurrence');
      ctx.arming.disarm(execution.occurrenceId);
      await ctx.append([cancelledEvent(occurrenceId, 'user')]);
    });
  }

  /**
   * Fires now, by hand: a pending occurrence (whatever its time), or a new manual occurrence
   * of a task. Works while paused. Resolves with the occurrence id once the trigger was
   * recorded (the handler then runs on its own).
   * @throws NotFoundError, or StateError when the occurrence already triggered.
   */
  async triggerNow(target: TriggerTarget): Promise<string> {
    const ctx = this.#ctx;
    const { occurrence, claim } = await ctx.command(async () => {
      if (ctx.supervisor.status === 'stopped') throw stoppedError('triggerNow');
      let occ: Occurrence;
      if ('occurrenceId' in target) {
        ctx.requirePending(target.occurrenceId, 'triggerNow');
        occ = ctx.model().getOccurrence(target.occurrenceId)!;
      } else {
        ctx.requireTask(target.taskId, 'triggerNow');
        occ = makeOccurrence({
          taskId: target.taskId,
          cause: 'manual',
          scheduledFor: new Date(ctx.options.clock.now()),
        });
        if (ctx.model().getOccurrence(occ.id) === undefined) {
          await ctx.append([scheduledEvent(occ)]);
        }
      }
      return { occurrence: occ, claim: ctx.arming.spawn(occ, { manual: true }) };
    });
    const granted = await claim;
    if (granted === undefined) {
      throw new StateError(
        'planflow:invalid-state',
        `SmartScheduler.triggerNow: occurrence "${occurrence.id}" did not trigger (its actor found it missed, the scheduler stopped, or the store failed: see scheduler.errors); check getExecution() before trying again`,
      );
    }
    if (granted.kind !== 'granted') {
      throw new StateError(
        'planflow:invalid-state',
        `SmartScheduler.triggerNow: occurrence "${occurrence.id}" could not be triggered (${granted.kind}); it already ran or was cancelled`,
      );
    }
    return occurrence.id;
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
    const ctx = this.#ctx;
    const jobs = await ctx.command(() => {
      const status = ctx.supervisor.status;
      if (status === 'stopped') return undefined;
      const requested = ctx.supervisor.send({ type: 'STOP' });
      // A scheduler that never started has nothing to record: stopping it only releases it.
      return status === 'idle' ? [] : requested;
    });
    if (jobs === undefined) return;
    if (ctx.runs.size > 0) {
      await waitOrTimeout([...ctx.runs], ctx.timers, ctx.options.stopTimeoutMs);
      ctx.stopSignal.abort();
      await Promise.allSettled([...ctx.runs]);
    }
    // The outcomes of drained runs are recorded first; `scheduler.stopped` comes last.
    await ctx.command(async () => {
      for (const job of jobs) await job();
    });
    await ctx.queue.idle();
    ctx.arming.stopAll();
    ctx.timers.dispose();
    ctx.supervisor.stop();
    ctx.events.complete();
    ctx.errors.complete();
    ctx.log?.complete();
  }

  // ── reading ───────────────────────────────────────────────────────────────────────────

  /** `idle` before the first `start`, then `running`, `paused` or `stopped`. */
  get status(): 'idle' | 'running' | 'paused' | 'stopped' {
    return this.#ctx.supervisor.status;
  }

  /** Every appended log entry, in order (an rxjs Observable; `subscribe(fn)` works as is). */
  get events(): Observable<StoredEvent> {
    return this.#ctx.events.asObservable();
  }

  /** Errors no caller was waiting for (e.g. the store failed during a timer-driven trigger). */
  get errors(): Observable<unknown> {
    return this.#ctx.errors.asObservable();
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

  // ── internals ─────────────────────────────────────────────────────────────────────────

  async #replaceTask(existing: Task, task: Task, now: Date): Promise<Task> {
    await this.#ctx.append([
      { type: 'task.updated', stream: streams.task(task.id), data: { task } },
      ...this.#cancelPending(existing.id, 'task-updated'),
    ]);
    await planFirst(this.#ctx, task, now);
    return task;
  }

  /** Disarms a task's pending occurrences and returns the events that cancel them. */
  #cancelPending(taskId: string, reason: 'task-removed' | 'task-updated'): NewEvent[] {
    return this.#ctx
      .model()
      .listExecutions({ taskId, state: 'scheduled' })
      .filter((e) => !e.triggered)
      .map((e) => {
        this.#ctx.arming.disarm(e.occurrenceId);
        return cancelledEvent(e.occurrenceId, reason);
      });
  }
}

/** Waits for `promises` or until `timeoutMs` passes on `clock`, whichever comes first. */
function waitOrTimeout(
  promises: readonly Promise<unknown>[],
  clock: TimerQueue,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(resolve, timeoutMs);
    void Promise.allSettled(promises).then(() => {
      clock.clearTimeout(timer);
      resolve();
    });
  });
}
