import type { Occurrence } from '../domain/types.js';
import {
  type BoundOccurrenceMachine,
  bindOccurrenceMachine,
  type ClaimResult,
  type OccurrenceHost,
  OccurrenceRunner,
} from './OccurrenceRunner.js';
import type { TimerHandle, TimerQueue } from './TimerQueue.js';

/** The steps an occurrence's actor calls; arming adds `finished`, since it owns the map. */
export type OccurrenceSteps = Omit<OccurrenceHost, 'finished'>;

/** How a live actor is started: waiting for `dueMs`, or triggering at once. */
export type SpawnHow = Readonly<{ manual: boolean; dueMs?: number }>;

/** The recorded occurrence with this id, as the read model holds it. */
export type RecordedOccurrence = (occurrenceId: string) => Occurrence | undefined;

/**
 * Which occurrences are armed, and how. A pending occurrence beyond the horizon holds one
 * timer-queue entry (a promotion) and no actor, which keeps 100 000 of them cheap; at the
 * horizon, or when due sooner, it gets a live {@link OccurrenceRunner} that waits out the
 * rest, triggers, runs and records. Arming only touches timers and actors: it records
 * nothing, so callers inside the command queue decide and append first.
 *
 * A promotion is nothing but a timer-queue entry keyed by the occurrence id, due a horizon
 * before the occurrence, all sharing one callback that looks the occurrence up in the read
 * model when it fires: no closure, no map of our own, no copy of the occurrence per pending
 * one. Occurrence ids are therefore the only keys on the scheduler's queue.
 */
export class Arming {
  readonly #timers: TimerQueue;
  readonly #horizonMs: number;
  readonly #graceMs: number;
  readonly #host: OccurrenceHost;
  readonly #machine: BoundOccurrenceMachine;
  readonly #recorded: RecordedOccurrence;
  /** Occurrences beyond the horizon: keyed timer-queue entries with {@link #promote}. */
  #promotions = 0;
  /** Occurrences with a live actor (within the horizon, or triggering). */
  readonly #live = new Map<string, OccurrenceRunner>();

  constructor(
    timers: TimerQueue,
    windows: Readonly<{ horizonMs: number; graceMs: number }>,
    steps: OccurrenceSteps,
    recorded: RecordedOccurrence,
  ) {
    this.#timers = timers;
    this.#recorded = recorded;
    this.#horizonMs = windows.horizonMs;
    this.#graceMs = windows.graceMs;
    this.#host = {
      ...steps,
      finished: (occurrence, runner) => {
        if (this.#live.get(occurrence.id) === runner) this.#live.delete(occurrence.id);
      },
    };
    this.#machine = bindOccurrenceMachine(this.#host);
  }

  /** Occurrences currently armed: live actors waiting plus far-future timer entries. */
  get armedCount(): number {
    let armed = 0;
    for (const runner of this.#live.values()) if (runner.isArmed) armed++;
    return armed + this.#promotions;
  }

  /** True when the occurrence has a live actor (waiting, triggering or running). */
  hasActor(occurrenceId: string): boolean {
    return this.#live.has(occurrenceId);
  }

  /** True when the occurrence's actor is past waiting: claiming, running or recording. */
  isTriggering(occurrenceId: string): boolean {
    return this.#live.get(occurrenceId)?.isWaiting === false;
  }

  /**
   * Arms a recorded occurrence, replacing any timer it had: far-future ones get one
   * timer-queue entry that promotes them to an actor at the horizon; nearer ones get their
   * actor now. Due now or earlier: the actor triggers at once and its claim is returned.
   */
  arm(occurrence: Occurrence): Promise<ClaimResult | undefined> | undefined {
    // Already triggering (e.g. triggerNow's claim is queued): a new timer would only fire
    // into a lost claim later, and count as armed meanwhile.
    const triggering = this.#live.get(occurrence.id);
    if (triggering !== undefined && !triggering.isWaiting) return triggering.claimed;
    this.disarm(occurrence.id);
    const dueMs = Date.parse(occurrence.scheduledFor);
    const now = this.#timers.now();
    if (dueMs <= now) return this.spawn(occurrence, { manual: false });
    if (dueMs - now <= this.#horizonMs) {
      this.spawn(occurrence, { manual: false, dueMs });
      return undefined;
    }
    // Keyed by the model's copy of the id where there is one, so the entry keeps no string
    // of the caller's alive.
    const key = this.#recorded(occurrence.id)?.id ?? occurrence.id;
    this.#timers.schedule(dueMs - this.#horizonMs, this.#promote, key);
    this.#promotions++;
    return undefined;
  }

  /** The shared promotion callback: the occurrence's horizon came, give it its actor. */
  readonly #promote = (entry: TimerHandle): void => {
    this.#promotions--;
    const recorded = this.#recorded(entry.key!);
    if (recorded === undefined) return;
    const dueMs = entry.dueAt + this.#horizonMs;
    // `arm` accepts a known id at another time than recorded (scheduleOccurrence re-arms it
    // as given). The actor must see the time it was armed for, as a nearer one does: with
    // the recorded time its claim would count as late by the difference and record a miss.
    const occurrence =
      Date.parse(recorded.scheduledFor) === dueMs
        ? recorded
        : Object.freeze({ ...recorded, scheduledFor: new Date(dueMs).toISOString() });
    this.spawn(occurrence, { manual: false, dueMs });
  };

  /**
   * Gives an occurrence a live actor. With `dueMs` it waits on the clock; without, it
   * triggers at once and the returned promise settles with its claim.
   */
  spawn(occurrence: Occurrence, how: SpawnHow): Promise<ClaimResult | undefined> {
    // A far-future entry is obsolete once the occurrence has an actor (triggerNow skips arm).
    this.#dropPromotion(occurrence.id);
    const previous = this.#live.get(occurrence.id);
    if (previous !== undefined && !previous.isWaiting) return previous.claimed;
    previous?.stop();
    const runner = new OccurrenceRunner(
      occurrence,
      this.#machine,
      this.#host,
      this.#graceMs,
      how.dueMs,
    );
    this.#live.set(occurrence.id, runner);
    runner.start();
    if (how.dueMs === undefined) runner.triggerNow(how.manual);
    return runner.claimed;
  }

  /** Drops an occurrence's timer or waiting actor; one already triggering is left to finish. */
  disarm(occurrenceId: string): void {
    this.#dropPromotion(occurrenceId);
    const runner = this.#live.get(occurrenceId);
    if (runner?.isWaiting) {
      runner.stop();
      this.#live.delete(occurrenceId);
    }
  }

  /**
   * Disarms every waiting occurrence: far-future entries are dropped, live actors move to
   * `scheduled.paused` (still visible in the inspector) until the next `start` re-arms them.
   * Occurrences already triggering are left to finish.
   */
  disarmAll(): void {
    this.#timers.cancelAll(this.#promote);
    this.#promotions = 0;
    for (const runner of this.#live.values()) if (runner.isArmed) runner.pause();
  }

  /** Stops every live actor, whatever its state: the scheduler is stopping for good. */
  stopAll(): void {
    for (const runner of this.#live.values()) runner.stop();
    this.#live.clear();
  }

  #dropPromotion(occurrenceId: string): void {
    if (this.#promotions > 0 && this.#timers.cancelKey(occurrenceId)) this.#promotions--;
  }
}
