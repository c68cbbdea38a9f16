import type { ClaimResult, OccurrenceOutcome } from '../../../machines/occurrence.js';
import type { Occurrence } from '../../domain/types.js';
import type { TimerHandle, TimerQueue } from '../../time/TimerQueue.js';
import type { LiveOccurrence, RunnerOwner, RunnerPhase } from './LiveOccurrence.js';
import type { LiveOccurrences } from './liveOccurrences.js';

/** The recorded occurrence with this id, as the read model holds it. */
export type RecordedOccurrence = (occurrenceId: string) => Occurrence | undefined;

/** Who hears how many occurrences are armed and running: the supervisor. */
export type CountsListener = Readonly<{ counts(pending: number, active: number): void }>;

export type OccurrenceActorsOptions = Readonly<{
  timers: TimerQueue;
  horizonMs: number;
  /** Gives an occurrence its live form (an actor, or its machine stepped by table). */
  live: LiveOccurrences;
  /** Who hears the counts. */
  supervisor: CountsListener;
  /**
   * Whether to tell the supervisor the counts. They exist for the inspector (nothing else
   * can read the supervisor's context), and telling it costs a supervisor transition per
   * turn that changed them: arming one awaited occurrence at a time measured ~7 µs each
   * with them (30 µs against 23 µs). So they are sent only when an inspect observer is
   * attached.
   */
  reportCounts: boolean;
  recorded: RecordedOccurrence;
}>;

/**
 * The live set: which occurrences are armed, and how. A pending occurrence beyond the
 * horizon holds one timer-queue entry (a promotion) and no actor, which keeps 100 000 of
 * them cheap; at the horizon, or when due sooner, it gets a live {@link OccurrenceRunner}
 * (a child of the supervisor) that waits out the rest, triggers, runs and records. This
 * class only touches timers and actors: it records nothing, so callers inside the command
 * queue decide and append first.
 *
 * A promotion is nothing but a timer-queue entry keyed by the occurrence id, due a horizon
 * before the occurrence, all sharing one callback that looks the occurrence up in the read
 * model when it fires: no closure, no map of our own, no copy of the occurrence per pending
 * one. Occurrence ids are therefore the only keys on the scheduler's queue.
 */
export class OccurrenceActors {
  readonly #timers: TimerQueue;
  readonly #horizonMs: number;
  readonly #makeLive: LiveOccurrences;
  readonly #supervisor: CountsListener;
  readonly #recorded: RecordedOccurrence;
  readonly #reportCounts: boolean;
  readonly #owner: RunnerOwner;
  /** Occurrences beyond the horizon: keyed timer-queue entries with {@link #promote}. */
  #promotions = 0;
  /** Live actors waiting on the clock (not paused), and those whose handler runs. */
  #armedActors = 0;
  #running = 0;
  #countsQueued = false;
  /** Occurrences with a live machine (within the horizon, or triggering). */
  readonly #byId = new Map<string, LiveOccurrence>();

  constructor(options: OccurrenceActorsOptions) {
    this.#timers = options.timers;
    this.#horizonMs = options.horizonMs;
    this.#makeLive = options.live;
    this.#supervisor = options.supervisor;
    this.#recorded = options.recorded;
    this.#reportCounts = options.reportCounts;
    this.#owner = {
      moved: (_live, from, to) => this.#moved(from, to),
      finished: (live, _outcome: OccurrenceOutcome) => {
        const id = live.occurrence.id;
        if (this.#byId.get(id) === live) this.#byId.delete(id);
      },
    };
  }

  /** Occurrences currently armed: live actors waiting plus far-future timer entries. */
  get armedCount(): number {
    return this.#armedActors + this.#promotions;
  }

  /** Occurrences whose handler is running now. */
  get runningCount(): number {
    return this.#running;
  }

  /** True when the occurrence has a live actor (waiting, triggering or running). */
  hasActor(occurrenceId: string): boolean {
    return this.#byId.has(occurrenceId);
  }

  /** True when the occurrence's actor is past waiting: claiming, running or recording. */
  isTriggering(occurrenceId: string): boolean {
    return this.#byId.get(occurrenceId)?.isWaiting === false;
  }

  /**
   * Arms a recorded occurrence: far-future ones get one timer-queue entry that promotes them
   * to an actor at the horizon; nearer ones get their actor now (a paused one resumes).
   * Due now or earlier: the actor triggers at once and its claim is returned.
   */
  arm(occurrence: Occurrence): Promise<ClaimResult | undefined> | undefined {
    const dueMs = Date.parse(occurrence.scheduledFor);
    const now = this.#timers.now();
    const runner = this.#byId.get(occurrence.id);
    if (runner !== undefined) {
      // Already triggering (e.g. triggerNow's claim is queued): leave it be.
      if (!runner.isWaiting) return runner.claimed;
      if (dueMs <= now) {
        runner.trigger(false);
        return runner.claimed;
      }
      if (runner.phase === 'paused') runner.resume();
      return undefined;
    }
    this.#dropPromotion(occurrence.id);
    if (dueMs <= now) return this.#spawn(occurrence, undefined, false);
    if (dueMs - now <= this.#horizonMs) {
      this.#spawn(occurrence, dueMs, false);
      return undefined;
    }
    // Keyed by the model's copy of the id where there is one, so the entry keeps no string
    // of the caller's alive.
    const key = this.#recorded(occurrence.id)?.id ?? occurrence.id;
    this.#timers.schedule(dueMs - this.#horizonMs, this.#promote, key);
    this.#promotions++;
    this.#countsChanged();
    return undefined;
  }

  /** The shared promotion callback: the occurrence's horizon came, give it its actor. */
  readonly #promote = (entry: TimerHandle): void => {
    this.#promotions--;
    this.#countsChanged();
    const recorded = this.#recorded(entry.key!);
    if (recorded !== undefined) this.#spawn(recorded, entry.dueAt + this.#horizonMs, false);
  };

  /**
   * Triggers an occurrence now, whatever its time: by hand (`manual`, which skips the grace
   * check), or because the missed check found it late within grace. Its waiting actor is
   * told to trigger, or it gets one. Settles with the claim.
   */
  trigger(occurrence: Occurrence, manual: boolean): Promise<ClaimResult | undefined> {
    const runner = this.#byId.get(occurrence.id);
    if (runner === undefined) return this.#spawn(occurrence, undefined, manual);
    if (runner.isWaiting) runner.trigger(manual);
    return runner.claimed;
  }

  /**
   * Gives an occurrence a live actor. With `dueMs` it waits on the clock; without, it
   * triggers at once and the returned promise settles with its claim.
   */
  #spawn(
    occurrence: Occurrence,
    dueMs: number | undefined,
    manual: boolean,
  ): Promise<ClaimResult | undefined> {
    // A far-future entry is obsolete once the occurrence has an actor.
    this.#dropPromotion(occurrence.id);
    const runner = this.#makeLive(occurrence, dueMs, this.#owner);
    this.#byId.set(occurrence.id, runner);
    this.#moved('final', 'armed');
    runner.start();
    if (dueMs === undefined) runner.trigger(manual);
    return runner.claimed;
  }

  /** The occurrence was recorded cancelled: its timer goes, its waiting actor is cancelled. */
  cancel(occurrenceId: string): void {
    this.#dropPromotion(occurrenceId);
    const runner = this.#waiting(occurrenceId);
    if (runner !== undefined) runner.cancel();
  }

  /** Lets go of an occurrence's timer or waiting actor (skipped on re-planning). */
  release(occurrenceId: string): void {
    this.#dropPromotion(occurrenceId);
    this.#waiting(occurrenceId)?.release();
  }

  /**
   * The occurrence is being recorded missed: its timer goes, and a waiting actor is told, so
   * it records (through its own effect) what followed the miss and ends in that state.
   */
  missed(occurrenceId: string, lateByMs: number): void {
    this.#dropPromotion(occurrenceId);
    this.#waiting(occurrenceId)?.missed(lateByMs);
  }

  /**
   * Pauses every waiting occurrence: far-future entries are dropped, live actors move to
   * `scheduled.paused` (still visible in the inspector) until the next `start` re-arms them.
   * Occurrences already triggering are left to finish.
   */
  pauseAll(): void {
    this.#timers.cancelAll(this.#promote);
    this.#promotions = 0;
    for (const runner of this.#byId.values()) if (runner.phase === 'armed') runner.pause();
    this.#countsChanged();
  }

  /** Releases every waiting actor: the scheduler is stopping for good. */
  releaseAll(): void {
    for (const runner of [...this.#byId.values()]) if (runner.isWaiting) runner.release();
    this.#byId.clear();
  }

  #waiting(occurrenceId: string): LiveOccurrence | undefined {
    const runner = this.#byId.get(occurrenceId);
    return runner?.isWaiting === true ? runner : undefined;
  }

  #dropPromotion(occurrenceId: string): void {
    if (this.#promotions > 0 && this.#timers.cancelKey(occurrenceId)) {
      this.#promotions--;
      this.#countsChanged();
    }
  }

  #moved(from: RunnerPhase, to: RunnerPhase): void {
    if (from === 'armed') this.#armedActors--;
    else if (from === 'running') this.#running--;
    if (to === 'armed') this.#armedActors++;
    else if (to === 'running') this.#running++;
    if (from === 'armed' || from === 'running' || to === 'armed' || to === 'running') {
      this.#countsChanged();
    }
  }

  /** Tells the supervisor the counts once per turn, however many changes the turn made. */
  #countsChanged(): void {
    if (!this.#reportCounts || this.#countsQueued) return;
    this.#countsQueued = true;
    queueMicrotask(() => {
      this.#countsQueued = false;
      this.#supervisor.counts(this.armedCount, this.#running);
    });
  }
}
