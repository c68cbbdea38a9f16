import { setMaxListeners } from 'node:events';
import { Subject } from 'rxjs';
import type { SupervisorEvent } from '../../machines/supervisor.js';
import { NotFoundError, StateError } from '../domain/errors.js';
import type { CalendarConfig, Execution, Task } from '../domain/types.js';
import type { EventLog } from '../log/EventLog.js';
import type { NewEvent, StoredEvent } from '../log/events.js';
import { isWaiting, type ReadModel } from '../log/ReadModel.js';
import type { PlanningContext } from '../planning/ports.js';
import { Arming } from './Arming.js';
import { attachLog } from './attachLog.js';
import { CommandQueue } from './CommandQueue.js';
import { guardedInspect } from './guardedInspect.js';
import type { LiveOccupancy } from './LiveOccupancy.js';
import { occurrenceSteps } from './occurrenceSteps.js';
import { SupervisorRef } from './SupervisorRef.js';
import type { InspectOption, ResolvedSchedulerOptions } from './schedulerOptions.js';
import { supervisorEffects } from './supervisorEffects.js';
import { TimerQueue } from './TimerQueue.js';

/**
 * What the parts of one scheduler share: its options, timers, command queue, supervisor,
 * arming and log. The facade, the commands, the occurrence steps and recovery are functions
 * of this one object, so none of them needs a long parameter list and the shared state is
 * in one place a reader can see.
 *
 * The discipline it carries: every read-decide-append runs inside {@link command} (one
 * queue, so no two decisions interleave between their read and their append); handlers run
 * outside it, and only their bookkeeping goes through it.
 */
export class SchedulerContext {
  readonly options: ResolvedSchedulerOptions;
  readonly timers: TimerQueue;
  readonly queue = new CommandQueue();
  readonly supervisor: SupervisorRef;
  readonly arming: Arming;
  /** Every appended entry, republished for `scheduler.events`. */
  readonly events = new Subject<StoredEvent>();
  /** Errors no caller was waiting for, for `scheduler.errors`. */
  readonly errors = new Subject<unknown>();
  /** Aborted by `stop()` once its wait for running handlers runs out. */
  readonly stopSignal = new AbortController();
  /** Handler runs in flight, for `stop()` to wait on. */
  readonly runs = new Set<Promise<unknown>>();
  /** Claims of occurrences the last missed check triggered late (within grace). */
  lateClaims: Promise<unknown>[] = [];
  /** `options.inspect`, with an inspector that throws reported instead (see guardedInspect). */
  readonly inspect: InspectOption | undefined;
  /** Set once, by {@link attachLog}, before any command runs. */
  log: EventLog | undefined;
  /** The calendar's occupancy, kept in step with the log by {@link attachLog}. */
  occupancy: LiveOccupancy | undefined;
  /** Resolves once the log is open and folded; every command waits for it. */
  readonly ready: Promise<void>;

  constructor(options: ResolvedSchedulerOptions) {
    this.options = options;
    // Every running handler listens on the stop signal; thousands may run at once.
    setMaxListeners(0, this.stopSignal.signal);
    this.timers = new TimerQueue({
      clock: options.clock,
      maxWaitMs: options.maxWaitMs,
      onClockJump: (jump) => {
        void this.command(() => this.transition({ type: 'CLOCK_JUMPED', ...jump })).catch(
          this.report,
        );
      },
      onError: this.report,
    });
    this.inspect = guardedInspect(options.inspect, this.report);
    this.supervisor = new SupervisorRef(supervisorEffects(this), this.inspect);
    this.arming = new Arming(this.timers, options, occurrenceSteps(this), (id) =>
      this.log?.model.getOccurrence(id),
    );
    this.ready = this.queue.run(() => attachLog(this));
    this.ready.catch(this.report);
  }

  /** Queues a command behind the log being opened. */
  command<T>(command: () => Promise<T> | T): Promise<T> {
    return this.queue.run(async () => {
      await this.ready;
      return command();
    });
  }

  /**
   * Sends the supervisor an event and runs the jobs its transition asked for, in order.
   * Returns the claims of occurrences a missed check triggered, for the caller to await
   * outside the queue.
   */
  async transition(event: SupervisorEvent): Promise<Promise<unknown>[]> {
    this.lateClaims = [];
    for (const job of this.supervisor.send(event)) await job();
    const claims = this.lateClaims;
    this.lateClaims = [];
    return claims;
  }

  append(events: readonly NewEvent[]): Promise<readonly StoredEvent[]> {
    return this.requireLog().append(events);
  }

  /** Passes `promise` through, reporting its failure (the caller still sees it). */
  reported<T>(promise: Promise<T>): Promise<T> {
    return promise.catch((error: unknown) => {
      this.report(error);
      throw error;
    });
  }

  /** Hands `error` to `onError` and `scheduler.errors`; never throws (see {@link callOnError}). */
  readonly report = (error: unknown): void => {
    this.callOnError(error);
    this.errors.next(error);
  };

  /** `onError`, if any; one that throws has nowhere left to report to, so that is dropped. */
  readonly callOnError = (error: unknown): void => {
    try {
      this.options.onError?.(error);
    } catch {
      // The scheduler must keep going (a throw here would reject a timer's or effect's chain).
    }
  };

  // ── small lookups ─────────────────────────────────────────────────────────────────────

  requireLog(): EventLog {
    if (this.log === undefined) {
      throw new StateError(
        'planflow:invalid-state',
        'SmartScheduler: the log is not open yet; await scheduler.ready first',
      );
    }
    return this.log;
  }

  model(): ReadModel {
    return this.requireLog().model;
  }

  calendar(): CalendarConfig {
    return this.model().calendar!;
  }

  /** What the planners need to decide: the calendar and its live occupancy. */
  planning(): PlanningContext {
    return { calendar: this.calendar(), occupancy: this.occupancy! };
  }

  requireTask(taskId: string, method: string): Task {
    const task = this.model().getTask(taskId);
    if (task === undefined) {
      throw new NotFoundError(`SmartScheduler.${method}: no task "${taskId}"; see listTasks()`);
    }
    return task;
  }

  requirePending(occurrenceId: string, method: string): Execution {
    const execution = this.model().getExecution(occurrenceId);
    if (execution === undefined) {
      throw new NotFoundError(
        `SmartScheduler.${method}: no occurrence "${occurrenceId}"; see listOccurrences()`,
      );
    }
    if (!isWaiting(execution)) {
      throw new StateError(
        'planflow:invalid-state',
        `SmartScheduler.${method}: occurrence "${occurrenceId}" is ${execution.state}, not pending; only a scheduled occurrence can be ${method === 'cancelOccurrence' ? 'cancelled' : 'triggered'}`,
      );
    }
    return execution;
  }
}

/** The error of a method called on a scheduler that was stopped for good. */
export function stoppedError(method: string): StateError {
  return new StateError(
    'planflow:scheduler-stopped',
    `SmartScheduler.${method}: the scheduler was stopped; create a new one to schedule again`,
  );
}
