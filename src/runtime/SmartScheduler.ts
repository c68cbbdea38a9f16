import { setMaxListeners } from 'node:events';
import { type Observable, Subject } from 'rxjs';
import type { SupervisorEvent } from '../../machines/supervisor.js';
import { isPlanflowError, NotFoundError, StateError } from '../domain/errors.js';
import { makeOccurrence } from '../domain/makeOccurrence.js';
import type { CalendarConfig, Execution, Occurrence, Task } from '../domain/types.js';
import { parseCalendar } from '../domain/validateCalendar.js';
import { parseOccurrence } from '../domain/validateOccurrence.js';
import { parseTask } from '../domain/validateTask.js';
import { EventLog, type HistoryQuery } from '../log/EventLog.js';
import { type NewEvent, type StoredEvent, streams } from '../log/events.js';
import type { OccurrenceFilter } from '../log/ReadModel.js';
import type { VerifyResult } from '../log/verifyChain.js';
import type { PlanningContext } from '../planning/ports.js';
import { Arming } from './Arming.js';
import { CommandQueue } from './CommandQueue.js';
import { decideFollowUp, linkEvents, outcomeEvents, seriesContinues } from './followUps.js';
import { type HandlerOutcome, invokeHandler } from './handlers.js';
import { idempotencyKey } from './idempotencyKey.js';
import { LiveOccupancy } from './LiveOccupancy.js';
import { splitMissed } from './missedCheck.js';
import type { ClaimResult } from './OccurrenceRunner.js';
import {
  cancelledEvent,
  clockJumpedEvent,
  missedEvent,
  type SchedulerLifecycleType,
  scheduledEvent,
  schedulerEvent,
} from './runtimeEvents.js';
import { SupervisorRef } from './SupervisorRef.js';
import {
  type ResolvedSchedulerOptions,
  resolveSchedulerOptions,
  type SchedulerOptions,
} from './schedulerOptions.js';
import { TimerQueue } from './TimerQueue.js';
import { areSameDefinition, interruptedError } from './taskChanges.js';

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
  readonly #o: ResolvedSchedulerOptions;
  readonly #timers: TimerQueue;
  readonly #queue = new CommandQueue();
  readonly #supervisor: SupervisorRef;
  readonly #events = new Subject<StoredEvent>();
  readonly #errors = new Subject<unknown>();
  readonly #stopSignal = new AbortController();
  /** Handler runs in flight, for `stop()` to wait on. */
  readonly #runs = new Set<Promise<unknown>>();
  /** Claims of occurrences the last missed check triggered late (within grace). */
  #lateClaims: Promise<unknown>[] = [];
  #log: EventLog | undefined;
  #occupancy: LiveOccupancy | undefined;
  /** Far-future timer entries and live occurrence actors. */
  readonly #arming: Arming;

  /** Resolves once the log is open and folded; every method waits for it on its own. */
  readonly ready: Promise<void>;

  constructor(options: SchedulerOptions = {}) {
    this.#o = resolveSchedulerOptions(options);
    // Every running handler listens on the stop signal; thousands may run at once.
    setMaxListeners(0, this.#stopSignal.signal);
    this.#timers = new TimerQueue({
      clock: this.#o.clock,
      maxWaitMs: this.#o.maxWaitMs,
      onClockJump: (jump) => {
        void this.#command(() => this.#transition({ type: 'CLOCK_JUMPED', ...jump })).catch(
          this.#report,
        );
      },
      onError: this.#report,
    });
    const record = (type: SchedulerLifecycleType) => () =>
      this.#append([schedulerEvent(type, this.#o.instanceId)]).then(() => undefined);
    this.#supervisor = new SupervisorRef(
      {
        armAll: async () => {
          await this.#recoverInterrupted();
          await this.#scheduleAll();
        },
        disarmAll: () => this.#arming.disarmAll(),
        checkMissed: async () => {
          this.#lateClaims.push(...(await this.#checkMissed()));
        },
        recordStarted: record('scheduler.started'),
        recordPaused: record('scheduler.paused'),
        recordStopped: record('scheduler.stopped'),
        recordClockJump: (jump) => () => this.#recordClockJump(jump.expectedAt, jump.observedAt),
      },
      this.#o.inspect,
    );
    this.#arming = new Arming(this.#timers, this.#o, {
      clock: this.#timers,
      inspect: this.#o.inspect,
      // An actor turns a failed effect into its `lost` state, so nobody would hear of it:
      // report it here (e.g. the store failed during a timer-driven trigger).
      claim: (occurrence, manual) =>
        this.#reported(this.#command(() => this.#claim(occurrence, manual))),
      run: (occurrence, claim) => this.#run(occurrence, claim),
      record: (occurrence, outcome) =>
        this.#reported(this.#command(() => this.#record(occurrence, outcome))),
      miss: (occurrence, lateByMs) =>
        this.#reported(this.#command(() => this.#miss(occurrence, lateByMs))),
    });
    this.ready = this.#queue.run(() => this.#open());
    this.ready.catch(this.#report);
  }

  // ── the seed's five methods ───────────────────────────────────────────────────────────

  /**
   * Starts (or resumes) scheduling: re-arms every future occurrence, then checks for missed
   * ones — the seed's order. Occurrences whose handler was interrupted by a crash are
   * recorded as failed first and retried per policy. Calling it while running re-arms again
   * (replacing timers), which never triggers anything twice.
   */
  async start(): Promise<void> {
    const claims = await this.#command(async () => {
      if (this.#supervisor.status === 'stopped') throw stoppedError('start');
      return this.#transition({ type: 'START' });
    });
    await Promise.all(claims);
  }

  /**
   * Pauses: every timer is disarmed and nothing is scheduled or triggered until `start`.
   * A handler already running finishes and its outcome is recorded; its follow-up is
   * recorded as scheduled and armed at the next `start`.
   */
  async pause(): Promise<void> {
    await this.#command(() => this.#transition({ type: 'PAUSE' }));
  }

  /** Re-arms every occurrence that is still pending and due in the future (no-op when paused). */
  async scheduleAll(): Promise<void> {
    await this.#command(() => this.#scheduleAll());
  }

  /**
   * Records (if new) and arms one occurrence, replacing any timer it already has. Skipped
   * (and recorded as skipped) when the calendar rejects its slot; ignored when it already
   * ran or the scheduler is paused. Due now or in the past: it triggers at once.
   * @throws ValidationError for a malformed occurrence; NotFoundError for an unknown task.
   */
  async scheduleOccurrence(occurrence: Occurrence): Promise<ScheduleResult> {
    const valid = parseOccurrence(occurrence);
    const result = await this.#command(async () => {
      if (this.#supervisor.status !== 'running') return { result: 'paused' as const };
      if (this.#model().getTask(valid.taskId) === undefined) {
        throw new NotFoundError(
          `SmartScheduler.scheduleOccurrence: task "${valid.taskId}" does not exist; define it first with defineTask()`,
        );
      }
      return this.#plan(valid);
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
    const claims = await this.#command(() => this.#transition({ type: 'CHECK_MISSED' }));
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
    return this.#command(async () => {
      // One reading of the clock: `createdAt`, an interval's default anchor and the first
      // occurrence must agree on what "now" was.
      const now = new Date(this.#o.clock.now());
      const task = parseTask(input, this.#calendar(), now);
      const existing = this.#model().getTask(task.id);
      if (existing !== undefined) {
        if (areSameDefinition(existing, task)) return existing;
        return this.#replaceTask(existing, { ...task, createdAt: existing.createdAt }, now);
      }
      await this.#append([{ type: 'task.defined', stream: streams.task(task.id), data: { task } }]);
      await this.#planFirst(task, now);
      return task;
    });
  }

  /**
   * Changes a task: its pending occurrences are cancelled and the first occurrence of the new
   * definition is planned.
   * @throws NotFoundError for an unknown task; ValidationError for a bad change.
   */
  async updateTask(taskId: string, changes: Readonly<Record<string, unknown>>): Promise<Task> {
    return this.#command(async () => {
      const existing = this.#requireTask(taskId, 'updateTask');
      const task = parseTask(
        { ...existing, ...changes, id: existing.id, createdAt: existing.createdAt },
        this.#calendar(),
      );
      if (areSameDefinition(existing, task)) return existing;
      return this.#replaceTask(existing, task, new Date(this.#o.clock.now()));
    });
  }

  /** Removes a task and cancels its pending occurrences. @throws NotFoundError */
  async removeTask(taskId: string): Promise<void> {
    await this.#command(async () => {
      this.#requireTask(taskId, 'removeTask');
      await this.#append([
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
    await this.#command(async () => {
      const execution = this.#requirePending(occurrenceId, 'cancelOccurrence');
      this.#arming.disarm(execution.occurrenceId);
      await this.#append([cancelledEvent(occurrenceId, 'user')]);
    });
  }

  /**
   * Fires now, by hand: a pending occurrence (whatever its time), or a new manual occurrence
   * of a task. Works while paused. Resolves with the occurrence id once the trigger was
   * recorded (the handler then runs on its own).
   * @throws NotFoundError, or StateError when the occurrence already triggered.
   */
  async triggerNow(target: TriggerTarget): Promise<string> {
    const { occurrence, claim } = await this.#command(async () => {
      if (this.#supervisor.status === 'stopped') throw stoppedError('triggerNow');
      let occ: Occurrence;
      if ('occurrenceId' in target) {
        this.#requirePending(target.occurrenceId, 'triggerNow');
        occ = this.#model().getOccurrence(target.occurrenceId)!;
      } else {
        this.#requireTask(target.taskId, 'triggerNow');
        occ = makeOccurrence({
          taskId: target.taskId,
          cause: 'manual',
          scheduledFor: new Date(this.#o.clock.now()),
        });
        if (this.#model().getOccurrence(occ.id) === undefined) {
          await this.#append([scheduledEvent(occ)]);
        }
      }
      return { occurrence: occ, claim: this.#arming.spawn(occ, { manual: true }) };
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
    return this.#command(async () => {
      const calendar = parseCalendar(input);
      await this.#append([
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
    const jobs = await this.#command(() => {
      const status = this.#supervisor.status;
      if (status === 'stopped') return undefined;
      const requested = this.#supervisor.send({ type: 'STOP' });
      // A scheduler that never started has nothing to record: stopping it only releases it.
      return status === 'idle' ? [] : requested;
    });
    if (jobs === undefined) return;
    if (this.#runs.size > 0) {
      await waitOrTimeout([...this.#runs], this.#timers, this.#o.stopTimeoutMs);
      this.#stopSignal.abort();
      await Promise.allSettled([...this.#runs]);
    }
    // The outcomes of drained runs are recorded first; `scheduler.stopped` comes last.
    await this.#command(async () => {
      for (const job of jobs) await job();
    });
    await this.#queue.idle();
    this.#arming.stopAll();
    this.#timers.dispose();
    this.#supervisor.stop();
    this.#events.complete();
    this.#errors.complete();
    this.#log?.complete();
  }

  // ── reading ───────────────────────────────────────────────────────────────────────────

  /** `idle` before the first `start`, then `running`, `paused` or `stopped`. */
  get status(): 'idle' | 'running' | 'paused' | 'stopped' {
    return this.#supervisor.status;
  }

  /** Every appended log entry, in order (an rxjs Observable; `subscribe(fn)` works as is). */
  get events(): Observable<StoredEvent> {
    return this.#events.asObservable();
  }

  /** Errors no caller was waiting for (e.g. the store failed during a timer-driven trigger). */
  get errors(): Observable<unknown> {
    return this.#errors.asObservable();
  }

  /** Occurrences currently armed: live actors waiting plus far-future timer entries. */
  get armedCount(): number {
    return this.#arming.armedCount;
  }

  listTasks(): readonly Task[] {
    return this.#model().listTasks();
  }

  getTask(taskId: string): Task | undefined {
    return this.#model().getTask(taskId);
  }

  listOccurrences(filter?: OccurrenceFilter): readonly Occurrence[] {
    return this.#model().listOccurrences(filter);
  }

  listExecutions(filter?: OccurrenceFilter): readonly Execution[] {
    return this.#model().listExecutions(filter);
  }

  getOccurrence(occurrenceId: string): Occurrence | undefined {
    return this.#model().getOccurrence(occurrenceId);
  }

  getExecution(occurrenceId: string): Execution | undefined {
    return this.#model().getExecution(occurrenceId);
  }

  get calendar(): CalendarConfig {
    return this.#calendar();
  }

  /** Every log entry about a task (and its occurrences) or about one occurrence. */
  async history(query: HistoryQuery): Promise<readonly StoredEvent[]> {
    await this.ready;
    return this.#requireLog().history(query);
  }

  /** Verifies the log's hash chain. */
  async verify(): Promise<VerifyResult> {
    await this.ready;
    return this.#requireLog().verify();
  }

  // ── internals: opening and appending ──────────────────────────────────────────────────

  async #open(): Promise<void> {
    const log = await EventLog.open(this.#o.store);
    this.#log = log;
    log.events.subscribe((event) => {
      this.#onAppended(event);
      this.#events.next(event);
    });
    const recorded = log.model.calendar;
    const wanted =
      this.#o.calendar !== undefined
        ? parseCalendar(this.#o.calendar)
        : (recorded ?? parseCalendar({ timeZone: 'UTC' }));
    this.#occupancy = new LiveOccupancy(wanted);
    this.#occupancy.reset(wanted, log.model.listExecutions());
    if (recorded === undefined || JSON.stringify(recorded) !== JSON.stringify(wanted)) {
      await this.#append([
        { type: 'calendar.configured', stream: streams.calendar, data: { calendar: wanted } },
      ]);
    }
  }

  #onAppended(event: StoredEvent): void {
    const occupancy = this.#occupancy;
    if (occupancy === undefined) return;
    if (event.type === 'calendar.configured') {
      occupancy.reset(event.data.calendar, this.#model().listExecutions());
      return;
    }
    let id: string;
    if (event.type === 'occurrence.scheduled') id = event.data.occurrence.id;
    else if ('occurrenceId' in event.data) id = event.data.occurrenceId;
    else return;
    const execution = this.#model().getExecution(id);
    if (execution !== undefined) occupancy.sync(execution);
  }

  #append(events: readonly NewEvent[]): Promise<readonly StoredEvent[]> {
    return this.#requireLog().append(events);
  }

  /** Queues a command behind the log being opened. */
  #command<T>(command: () => Promise<T> | T): Promise<T> {
    return this.#queue.run(async () => {
      await this.ready;
      return command();
    });
  }

  /**
   * Sends the supervisor an event and runs the jobs its transition asked for, in order.
   * Returns the claims of occurrences a missed check triggered, for the caller to await
   * outside the queue.
   */
  async #transition(event: SupervisorEvent): Promise<Promise<unknown>[]> {
    this.#lateClaims = [];
    for (const job of this.#supervisor.send(event)) await job();
    const claims = this.#lateClaims;
    this.#lateClaims = [];
    return claims;
  }

  /** Passes `promise` through, reporting its failure (the caller still sees it). */
  #reported<T>(promise: Promise<T>): Promise<T> {
    return promise.catch((error: unknown) => {
      this.#report(error);
      throw error;
    });
  }

  readonly #report = (error: unknown): void => {
    this.#o.onError?.(error);
    this.#errors.next(error);
  };

  // ── internals: planning and arming ────────────────────────────────────────────────────

  #ctx(): PlanningContext {
    return { calendar: this.#calendar(), occupancy: this.#occupancy! };
  }

  async #planFirst(task: Task, now: Date): Promise<void> {
    const first = this.#o.taskScheduler.firstOccurrence(task, now, this.#ctx());
    if (first !== undefined) await this.#plan(first);
  }

  /**
   * Records an occurrence (or its skip) and arms it when the scheduler runs. The calendar
   * check excludes the occurrence's own place, so re-arming never rejects itself.
   */
  async #plan(
    occurrence: Occurrence,
  ): Promise<{ result: ScheduleResult; claim?: Promise<ClaimResult | undefined> }> {
    const execution = this.#model().getExecution(occurrence.id);
    if (execution !== undefined && (execution.triggered || execution.state !== 'scheduled')) {
      return { result: 'not-pending' };
    }
    const at = new Date(occurrence.scheduledFor);
    const ctx = this.#ctx();
    const fits =
      occurrence.pinnedTime !== undefined
        ? this.#o.calendarPlanner.isPinnedTimeValid(at, ctx, occurrence.id)
        : this.#o.calendarPlanner.isSlotAvailable(at, ctx, occurrence.id);
    const known = execution !== undefined;
    if (!fits) {
      this.#arming.disarm(occurrence.id);
      await this.#append([
        ...(known ? [] : [scheduledEvent(occurrence)]),
        {
          type: 'occurrence.skipped',
          stream: streams.occurrence(occurrence.id),
          data: { occurrenceId: occurrence.id, reason: 'slot-unavailable' },
        },
      ]);
      return { result: 'skipped' };
    }
    if (!known) await this.#append([scheduledEvent(occurrence)]);
    if (this.#supervisor.status !== 'running') return { result: 'paused' };
    const claim = this.#arming.arm(occurrence);
    return claim === undefined ? { result: 'armed' } : { result: 'armed', claim };
  }

  async #scheduleAll(): Promise<void> {
    if (this.#supervisor.status !== 'running') return;
    this.#arming.disarmAll();
    const now = this.#timers.now();
    for (const execution of this.#model().listExecutions({ state: 'scheduled' })) {
      if (execution.triggered || Date.parse(execution.scheduledFor) <= now) continue;
      await this.#plan(this.#model().getOccurrence(execution.occurrenceId)!);
    }
  }

  // ── internals: triggering, recording, recovering ──────────────────────────────────────

  /** Decides whether an occurrence's actor may trigger, and records the trigger if so. */
  async #claim(occurrence: Occurrence, manual: boolean): Promise<ClaimResult> {
    const status = this.#supervisor.status;
    if (status === 'stopped' || (!manual && status !== 'running')) return { kind: 'refused' };
    const execution = this.#model().getExecution(occurrence.id);
    if (execution === undefined || execution.triggered || execution.state !== 'scheduled') {
      return { kind: 'lost' };
    }
    const now = this.#timers.now();
    const lateByMs = Math.max(0, now - Date.parse(occurrence.scheduledFor));
    if (!manual && lateByMs > this.#o.graceMs) {
      await this.#markMissedAndRecover([occurrence], now);
      return { kind: 'missed', state: missedStateOf(this.#model().getExecution(occurrence.id)) };
    }
    const key = idempotencyKey(occurrence, (id) => this.#model().getOccurrence(id));
    try {
      await this.#append([
        {
          type: 'occurrence.triggered',
          stream: streams.occurrence(occurrence.id),
          data: {
            occurrenceId: occurrence.id,
            attempt: occurrence.attempt,
            idempotencyKey: key,
            lateByMs,
            ...(manual ? { manual: true } : {}),
          },
        },
      ]);
    } catch (error) {
      if (isPlanflowError(error, 'planflow:already-triggered')) return { kind: 'lost' };
      throw error;
    }
    return { kind: 'granted', idempotencyKey: key };
  }

  /** Runs the handler (outside the command queue); never rejects. */
  #run(occurrence: Occurrence, claim: ClaimResult & { kind: 'granted' }): Promise<HandlerOutcome> {
    const task = this.#model().getTask(occurrence.taskId);
    const name = task?.handler;
    const handler = name === undefined ? undefined : this.#o.handlers[name];
    let run: Promise<HandlerOutcome>;
    if (task === undefined) {
      run = Promise.resolve({ ok: true, durationMs: 0 });
    } else if (name !== undefined && handler === undefined) {
      run = Promise.resolve({
        ok: false,
        durationMs: 0,
        error: {
          name: 'NotFoundError',
          message: `no handler named "${name}" is registered; pass it in options.handlers`,
        },
      });
    } else if (handler === undefined) {
      run = Promise.resolve({ ok: true, durationMs: 0 });
    } else {
      run = invokeHandler(handler, occurrence, {
        clock: this.#timers,
        task,
        attempt: occurrence.attempt,
        idempotencyKey: claim.idempotencyKey,
        signal: this.#stopSignal.signal,
      });
    }
    this.#runs.add(run);
    void run.finally(() => this.#runs.delete(run));
    return run;
  }

  /** Records a run's outcome with its follow-up in one batch; arms the follow-up if running. */
  async #record(
    occurrence: Occurrence,
    outcome: HandlerOutcome,
  ): Promise<'done' | 'failed' | 'retrying' | 'recurred'> {
    const model = this.#model();
    const task = model.getTask(occurrence.taskId);
    const now = new Date(this.#timers.now());
    const followUp = decideFollowUp(
      occurrence,
      task,
      outcome,
      now,
      this.#ctx(),
      this.#o.taskScheduler,
      seriesContinues(model.listExecutions({ taskId: occurrence.taskId }), occurrence),
    );
    await this.#append(
      outcomeEvents(occurrence, outcome, followUp, (id) => model.getOccurrence(id) !== undefined),
    );
    if (followUp.kind === 'none') return outcome.ok ? 'done' : 'failed';
    if (this.#supervisor.status === 'running') await this.#plan(followUp.occurrence);
    return followUp.kind === 'retry' ? 'retrying' : 'recurred';
  }

  /** An actor found its occurrence late beyond grace: record the miss and recover it. */
  async #miss(
    occurrence: Occurrence,
    _lateByMs: number,
  ): Promise<'missed' | 'recovered' | 'retrying'> {
    const execution = this.#model().getExecution(occurrence.id);
    if (execution?.state === 'scheduled' && !execution.triggered) {
      await this.#markMissedAndRecover([occurrence], this.#timers.now());
    }
    return missedStateOf(this.#model().getExecution(occurrence.id));
  }

  /** Within the queue: returns the claims of the occurrences triggered late within grace. */
  async #checkMissed(): Promise<Promise<unknown>[]> {
    if (this.#supervisor.status !== 'running') return [];
    const model = this.#model();
    const nowMs = this.#timers.now();
    const { lateWithinGrace, beyondGrace } = splitMissed(
      model.listExecutions({ state: 'scheduled' }),
      (id) => model.getOccurrence(id),
      nowMs,
      this.#o.graceMs,
      (id) => this.#arming.isTriggering(id),
    );
    const claims = lateWithinGrace.map((occ) => {
      this.#arming.disarm(occ.id);
      return this.#arming.spawn(occ, { manual: false });
    });
    if (beyondGrace.length > 0) await this.#markMissedAndRecover(beyondGrace, nowMs);
    return claims;
  }

  /** Records occurrences as missed, then schedules what the recovery service returns. */
  async #markMissedAndRecover(missed: readonly Occurrence[], nowMs: number): Promise<void> {
    for (const occ of missed) this.#arming.disarm(occ.id);
    await this.#append(missed.map((occ) => missedEvent(occ, nowMs)));
    const model = this.#model();
    const executions = new Map(model.listExecutions().map((e) => [e.occurrenceId, e]));
    const tasks = new Map(model.listTasks().map((t) => [t.id, t]));
    const recovered = this.#o.recoveryService.recoverMissed({
      executions,
      occurrences: model.listOccurrences(),
      tasks,
      now: new Date(nowMs),
      ctx: this.#ctx(),
    });
    const events: NewEvent[] = [];
    const known = new Set<string>();
    const linked = new Set<string>();
    const isKnown = (id: string) => known.has(id) || model.getOccurrence(id) !== undefined;
    for (const occ of recovered) {
      const parent = occ.parentId === undefined ? undefined : model.getOccurrence(occ.parentId);
      // Recovery sees every occurrence, so it may replace one this check did not record as
      // missed (its actor is still claiming, or its timer has not woken yet): record that miss
      // first. A link to an occurrence that ran, or was already followed up, is not followed.
      const link =
        parent === undefined || linked.has(parent.id)
          ? undefined
          : recoveryLink(model.getExecution(parent.id), nowMs, this.#o.graceMs);
      if (parent === undefined || link === undefined) {
        if (!isKnown(occ.id)) events.push(scheduledEvent(occ));
      } else {
        if (link === 'late') {
          this.#arming.disarm(parent.id);
          events.push(missedEvent(parent, nowMs));
        }
        linked.add(parent.id);
        const kind = occ.cause === 'retry' ? 'retry' : 'recovery';
        events.push(...linkEvents(parent, { kind, occurrence: occ }, isKnown));
      }
      known.add(occ.id);
    }
    if (events.length > 0) await this.#append(events);
    if (this.#supervisor.status !== 'running') return;
    for (const occ of recovered) await this.#plan(occ);
  }

  /**
   * Occurrences recorded as triggered whose handler is not running in this process were
   * interrupted (the process died mid-run): each is recorded as failed and retried per its
   * task's policy. The retry presents the same idempotency key, so the handler can tell a
   * re-run of work that may already have happened.
   */
  async #recoverInterrupted(): Promise<void> {
    const model = this.#model();
    for (const execution of model.listExecutions({ state: 'triggered' })) {
      if (this.#arming.hasActor(execution.occurrenceId)) continue;
      const occurrence = model.getOccurrence(execution.occurrenceId)!;
      const outcome: HandlerOutcome = { ok: false, durationMs: 0, error: interruptedError() };
      const task = model.getTask(occurrence.taskId);
      const now = new Date(this.#timers.now());
      const followUp = decideFollowUp(
        occurrence,
        task,
        outcome,
        now,
        this.#ctx(),
        this.#o.taskScheduler,
        seriesContinues(model.listExecutions({ taskId: occurrence.taskId }), occurrence),
      );
      const events = outcomeEvents(
        occurrence,
        outcome,
        followUp,
        (id) => model.getOccurrence(id) !== undefined,
      );
      const failed = events[0];
      if (failed?.type === 'occurrence.failed') {
        events[0] = { ...failed, data: { ...failed.data, interrupted: true } };
      }
      await this.#append(events);
    }
  }

  async #recordClockJump(expectedAt: number, observedAt: number): Promise<void> {
    await this.#append([clockJumpedEvent(expectedAt, observedAt)]);
  }

  async #replaceTask(existing: Task, task: Task, now: Date): Promise<Task> {
    await this.#append([
      { type: 'task.updated', stream: streams.task(task.id), data: { task } },
      ...this.#cancelPending(existing.id, 'task-updated'),
    ]);
    await this.#planFirst(task, now);
    return task;
  }

  /** Disarms a task's pending occurrences and returns the events that cancel them. */
  #cancelPending(taskId: string, reason: 'task-removed' | 'task-updated'): NewEvent[] {
    return this.#model()
      .listExecutions({ taskId, state: 'scheduled' })
      .filter((e) => !e.triggered)
      .map((e) => {
        this.#arming.disarm(e.occurrenceId);
        return cancelledEvent(e.occurrenceId, reason);
      });
  }

  // ── internals: small lookups ──────────────────────────────────────────────────────────

  #requireLog(): EventLog {
    if (this.#log === undefined) {
      throw new StateError(
        'planflow:invalid-state',
        'SmartScheduler: the log is not open yet; await scheduler.ready first',
      );
    }
    return this.#log;
  }

  #model() {
    return this.#requireLog().model;
  }

  #calendar(): CalendarConfig {
    return this.#model().calendar!;
  }

  #requireTask(taskId: string, method: string): Task {
    const task = this.#model().getTask(taskId);
    if (task === undefined) {
      throw new NotFoundError(`SmartScheduler.${method}: no task "${taskId}"; see listTasks()`);
    }
    return task;
  }

  #requirePending(occurrenceId: string, method: string): Execution {
    const execution = this.#model().getExecution(occurrenceId);
    if (execution === undefined) {
      throw new NotFoundError(
        `SmartScheduler.${method}: no occurrence "${occurrenceId}"; see listOccurrences()`,
      );
    }
    if (execution.triggered || execution.state !== 'scheduled') {
      throw new StateError(
        'planflow:invalid-state',
        `SmartScheduler.${method}: occurrence "${occurrenceId}" is ${execution.state}, not pending; only a scheduled occurrence can be ${method === 'cancelOccurrence' ? 'cancelled' : 'triggered'}`,
      );
    }
    return execution;
  }
}

/** The final state of an occurrence recorded missed: recovered, retried, or just missed. */
function missedStateOf(execution: Execution | undefined): 'missed' | 'recovered' | 'retrying' {
  const state = execution?.state;
  return state === 'recovered' || state === 'retrying' ? state : 'missed';
}

/**
 * Whether a recovered occurrence may be recorded as following up `parent`: it was recorded
 * missed (`'missed'`), or is still waiting and late beyond grace, so its miss is recorded with
 * the link (`'late'`). Anything else (it ran, was cancelled, or already has a follow-up) is
 * not linked, so its record stays true.
 */
function recoveryLink(
  parent: Execution | undefined,
  nowMs: number,
  graceMs: number,
): 'missed' | 'late' | undefined {
  if (parent === undefined || parent.triggered || parent.followUpId !== undefined) return;
  if (parent.state === 'missed') return 'missed';
  const lateByMs = nowMs - Date.parse(parent.scheduledFor);
  return parent.state === 'scheduled' && lateByMs > graceMs ? 'late' : undefined;
}

function stoppedError(method: string): StateError {
  return new StateError(
    'planflow:scheduler-stopped',
    `SmartScheduler.${method}: the scheduler was stopped; create a new one to schedule again`,
  );
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
