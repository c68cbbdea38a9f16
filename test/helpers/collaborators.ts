import type { Occurrence, Task } from '../../src/domain/types.js';
import { DefaultCalendarPlanner } from '../../src/planning/DefaultCalendarPlanner.js';
import { DefaultTaskScheduler } from '../../src/planning/DefaultTaskScheduler.js';
import type {
  CalendarPlanner,
  Placement,
  PlanningContext,
  RecoveryInput,
  RecoveryService,
  SlotSearchOptions,
  TaskScheduler,
} from '../../src/planning/ports.js';

/**
 * The seed's mocked `RecoveryService`: answers with the occurrences a test chose and records
 * every input it was given, so a test can tell whether (and with what) recovery was asked.
 */
export class RecoveryStub implements RecoveryService {
  readonly calls: RecoveryInput[] = [];
  #answer: (input: RecoveryInput) => readonly Occurrence[];

  constructor(answer: readonly Occurrence[] | ((input: RecoveryInput) => readonly Occurrence[])) {
    this.#answer = typeof answer === 'function' ? answer : () => answer;
  }

  recoverMissed(input: RecoveryInput): readonly Occurrence[] {
    this.calls.push(input);
    return this.#answer(input);
  }
}

/**
 * The default calendar with some instants declared unavailable: the seed's mocked
 * `CalendarPlanner` whose `is_slot_available` returns false for the slot under test.
 */
export class RejectingPlanner implements CalendarPlanner {
  readonly #base = new DefaultCalendarPlanner();
  readonly #rejected: (atMs: number) => boolean;
  /** Every instant the runtime asked about through `isSlotAvailable`/`isPinnedTimeValid`. */
  readonly asked: number[] = [];

  constructor(rejected: (atMs: number) => boolean) {
    this.#rejected = rejected;
  }

  isSlotAvailable(at: Date, ctx: PlanningContext, excludeId?: string): boolean {
    this.asked.push(at.getTime());
    return !this.#rejected(at.getTime()) && this.#base.isSlotAvailable(at, ctx, excludeId);
  }

  isPinnedTimeValid(at: Date, ctx: PlanningContext, excludeId?: string): boolean {
    this.asked.push(at.getTime());
    return !this.#rejected(at.getTime()) && this.#base.isPinnedTimeValid(at, ctx, excludeId);
  }

  nextAvailableSlot(
    after: Date,
    ctx: PlanningContext,
    options?: SlotSearchOptions,
  ): Placement | undefined {
    return this.#base.nextAvailableSlot(after, ctx, options);
  }
}

/** What a {@link ScriptedTaskScheduler} answers instead of the default planner. */
export type Script = {
  /** Returned by `retryOccurrence` (once each, in order) instead of planning a retry. */
  retries?: Occurrence[];
  /** Returned by `nextOccurrence` (once each, in order) instead of planning a recurrence. */
  recurrences?: Occurrence[];
};

/**
 * The default task scheduler with scripted answers: the seed's mocked `TaskScheduler` whose
 * `reschedule_retry` / `get_next_occurrence` return a prepared occurrence. Unscripted calls
 * fall through to the default planner; every call is recorded.
 */
export class ScriptedTaskScheduler implements TaskScheduler {
  readonly #base = new DefaultTaskScheduler();
  readonly script: Script;
  readonly calls: string[] = [];

  constructor(script: Script = {}) {
    this.script = script;
  }

  isDue(occurrence: Occurrence, now: Date): boolean {
    return this.#base.isDue(occurrence, now);
  }

  isMissed(occurrence: Occurrence, now: Date, graceMs: number): boolean {
    return this.#base.isMissed(occurrence, now, graceMs);
  }

  shouldRetry(occurrence: Occurrence, task: Task): boolean {
    if (this.script.retries !== undefined && this.script.retries.length > 0) return true;
    return this.#base.shouldRetry(occurrence, task);
  }

  firstOccurrence(task: Task, now: Date, ctx: PlanningContext): Occurrence | undefined {
    this.calls.push(`first:${task.id}`);
    return this.#base.firstOccurrence(task, now, ctx);
  }

  nextOccurrence(task: Task, from: Date, ctx: PlanningContext): Occurrence | undefined {
    this.calls.push(`next:${task.id}`);
    const scripted = this.script.recurrences?.shift();
    return scripted ?? this.#base.nextOccurrence(task, from, ctx);
  }

  retryOccurrence(
    occurrence: Occurrence,
    task: Task,
    now: Date,
    ctx: PlanningContext,
  ): Occurrence | undefined {
    this.calls.push(`retry:${occurrence.id}`);
    const scripted = this.script.retries?.shift();
    return scripted ?? this.#base.retryOccurrence(occurrence, task, now, ctx);
  }
}
