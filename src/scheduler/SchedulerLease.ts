import { hostname } from 'node:os';
import { LogHeldError } from '../domain/errors.js';
import type { InstanceLease } from '../domain/types.js';
import type { EventStore } from '../log/EventStore.js';
import type { InstanceLeases, LeaseHolder } from '../log/InstanceLeases.js';
import { isLeaseStale } from '../log/isLeaseStale.js';
import { memoryLeases } from '../log/memoryLeases.js';
import type { Clock } from '../time/Clock.js';
import { ownerOf } from './ownerOf.js';

/** How long a lease lasts unless renewed (default of the `leaseTtlMs` option). */
export const DEFAULT_LEASE_TTL_MS = 15_000;

/** In-process leases for stores that keep none of their own: one scheduler per store object. */
const inProcess = new WeakMap<EventStore, InstanceLeases>();

/** The store's own leases, or this process's for that store object. */
function leasesOf(store: EventStore): InstanceLeases {
  if (store.leases !== undefined) return store.leases;
  let leases = inProcess.get(store);
  if (leases === undefined) {
    leases = memoryLeases();
    inProcess.set(store, leases);
  }
  return leases;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** One lease as the messages name it. */
function describeLease(lease: InstanceLease): string {
  return `instance "${lease.instanceId}" (pid ${lease.pid} on host "${lease.host}", running since ${iso(lease.startedAtMs)}, lease renewed ${iso(lease.renewedAtMs)}, expires ${iso(lease.expiresAtMs)})`;
}

const HOW_TO_FIX =
  'Stop the other scheduler first (a planflow run: Ctrl-C); a holder that died is taken over at once on its own host, or once its lease expires. To run several instances on one log, use a planflow/postgres store';

/** `start()` refused: another running scheduler holds the log. */
function heldError(holders: readonly InstanceLease[]): LogHeldError {
  return new LogHeldError(
    `SmartScheduler.start: the log is held by another running scheduler: ${holders.map(describeLease).join('; ')}. Only one scheduler may run on this store at a time, so this one did not start and recorded nothing. ${HOW_TO_FIX}`,
    holders,
  );
}

/** A running scheduler found its lease taken over (it lapsed while this process stalled). */
function takenOverError(instanceId: string, holders: readonly InstanceLease[]): LogHeldError {
  const by = holders.length === 0 ? 'no one holds it now' : holders.map(describeLease).join('; ');
  return new LogHeldError(
    `SmartScheduler: the lease of instance "${instanceId}" on its log lapsed and was taken over (${by}), so this scheduler is degraded: it triggers nothing by time, records no missed or interrupted runs, and takes the lease back only once the other holder stops or dies. ${HOW_TO_FIX}`,
    holders,
  );
}

/**
 * This scheduler's lease on its log, a part of {@link SchedulerParts}: taken at the first
 * `start()` (before anything is recorded), renewed by a heartbeat every third of `ttlMs` on
 * the scheduler's clock (an `unref`ed timer: it never keeps a process alive), released at
 * `stop()`. While it is not held, `claimTriggers` refuses time-driven claims and
 * `recoverInterrupted` records nothing.
 *
 * A renewal that finds the lease gone (it lapsed and another instance took it over) or that
 * fails until the lease has lapsed loses it: `onLost` is told once, and the heartbeat stops
 * until {@link hold} takes the lease back.
 */
export class SchedulerLease {
  readonly #leases: InstanceLeases;
  readonly #holder: LeaseHolder;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #onLost: (error: unknown) => void;
  readonly #onPeersChanged: () => void;
  #lease: InstanceLease | undefined;
  /** Whether this scheduler is paused: alive but claiming nothing (a shared store hears it). */
  #paused = false;
  /** Running instances sharing the log, this one included while it runs (shared stores). */
  #members: readonly string[] = [];
  /** Whether this instance runs a task, by task id, for the current members. */
  readonly #owned = new Map<string, boolean>();
  /** Set once a lease was taken: `release` then removes this instance's record, lost or not. */
  #taken = false;
  #others: readonly InstanceLease[] = [];
  /** Why the lease was lost, until it is held again (or released). */
  #lost: unknown;
  #timer: unknown;
  /** Bumped whenever the lease is taken, lost or released: late renewals of an old one drop. */
  #generation = 0;

  constructor(
    options: Readonly<{
      store: EventStore;
      instanceId: string;
      ttlMs: number;
      clock: Clock;
      onLost: (error: unknown) => void;
      /**
       * A shared store's other live instances changed (one joined, left, died, paused or
       * resumed): the tasks this one runs may have changed, and runs of a dead one may wait
       * to be recorded interrupted.
       */
      onPeersChanged?: () => void;
    }>,
  ) {
    this.#leases = leasesOf(options.store);
    this.#holder = { instanceId: options.instanceId, pid: process.pid, host: hostname() };
    this.#ttlMs = options.ttlMs;
    this.#clock = options.clock;
    this.#onLost = options.onLost;
    this.#onPeersChanged = options.onPeersChanged ?? (() => undefined);
  }

  /** Whether the log is shared by a fleet of instances (a PostgreSQL store). */
  get shared(): boolean {
    return this.#leases.shared;
  }

  /** The other live instances' leases, as last read (refreshed at every renewal). */
  get others(): readonly InstanceLease[] {
    return this.#others;
  }

  /**
   * Whether this instance arms and triggers `taskId`'s occurrences by time. Always, on a store
   * that is not shared. On a shared one, the running instances split the tasks among them by
   * rendezvous hashing ({@link ownerOf}): each task has one owner while all instances see the
   * same members, and a paused instance, or one without its lease, owns nothing. Two
   * instances that briefly disagree both arm the task; the store lets only one trigger.
   */
  owns(taskId: string): boolean {
    if (!this.#leases.shared) return true;
    if (this.#lease === undefined || this.#paused) return false;
    let owned = this.#owned.get(taskId);
    if (owned === undefined) {
      if (this.#owned.size >= 100_000) this.#owned.clear();
      owned = ownerOf(taskId, this.#members) === this.#holder.instanceId;
      this.#owned.set(taskId, owned);
    }
    return owned;
  }

  /**
   * Whether a run recorded triggered by `triggeredBy` (and not running in this process) may be
   * recorded interrupted by this instance. Exclusive stores: the crash rule (see
   * {@link mayRecoverInterrupted}). Shared stores: a run of this instance, or of one whose lease
   * is gone or lapsed, by the task's owner only (so survivors do not race for it; the store
   * refuses the second ending if they do); never a run of a live instance. A run with no
   * recorded instance (an older log) only when no other instance is live. Read
   * {@link refresh}ed leases: an instance that started since the last renewal is live.
   */
  mayRecoverRunOf(triggeredBy: string | undefined, taskId: string): boolean {
    if (this.#lease === undefined) return false;
    if (!this.#leases.shared || triggeredBy === undefined) return this.#others.length === 0;
    if (triggeredBy === this.#holder.instanceId) return true;
    if (this.#others.some((other) => other.instanceId === triggeredBy)) return false;
    return this.owns(taskId);
  }

  /**
   * Marks this instance paused or running. On a shared store the lease records it at once, so
   * the other instances (told by the `scheduler.paused` entry) take this one's tasks over; a
   * failed write is left to the next heartbeat, which carries the flag. Never throws.
   */
  async setPaused(paused: boolean): Promise<void> {
    if (this.#paused === paused) return;
    this.#paused = paused;
    this.#setOthers(this.#others, false);
    if (!this.#leases.shared || this.#lease === undefined) return;
    const generation = this.#generation;
    try {
      const renewed = await this.#leases.renew(
        this.#holder.instanceId,
        this.#clock.now(),
        this.#ttlMs,
        paused,
      );
      if (generation === this.#generation && renewed !== undefined) this.#lease = renewed;
    } catch {
      // The next heartbeat records it; until then the others hand over at its renewal.
    }
  }

  /**
   * Reads the other instances' leases again (shared stores; nothing otherwise), telling
   * `onPeersChanged` when the live or running ones changed.
   */
  async refresh(): Promise<void> {
    if (!this.#leases.shared || this.#lease === undefined) return;
    const generation = this.#generation;
    const all = await this.#leases.list();
    if (generation !== this.#generation) return;
    const nowMs = this.#clock.now();
    const { instanceId, host } = this.#holder;
    this.#setOthers(
      all.filter((l) => l.instanceId !== instanceId && !isLeaseStale(l, nowMs, host)),
      true,
    );
  }

  /** Keeps the others and the members they make; tells `onPeersChanged` if asked and they moved. */
  #setOthers(others: readonly InstanceLease[], tell: boolean): void {
    const live = (list: readonly InstanceLease[]) =>
      list.map((l) => `${l.instanceId}${l.paused === true ? ':paused' : ''}`).join(',');
    const moved = live(others) !== live(this.#others);
    this.#others = others;
    const running = others.filter((l) => l.paused !== true).map((l) => l.instanceId);
    if (this.#lease !== undefined && !this.#paused) running.push(this.#holder.instanceId);
    running.sort();
    if (running.join(',') !== this.#members.join(',')) {
      this.#members = running;
      this.#owned.clear();
    }
    if (moved && tell) this.#onPeersChanged();
  }

  /** Whether this scheduler holds its lease now. */
  get held(): boolean {
    return this.#lease !== undefined;
  }

  /**
   * Whether a run recorded `triggered` with no handler running here was interrupted (the
   * crash rule): only while this scheduler holds the lease and no other instance's lease is
   * live, since then no other running scheduler can be running it.
   */
  get mayRecoverInterrupted(): boolean {
    return this.#lease !== undefined && this.#others.length === 0;
  }

  /**
   * The error the lease was lost with (taken over, or not renewable until it lapsed), until
   * it is held again; `undefined` while held, and for a scheduler that never took one. While
   * set, outcomes of this scheduler's own runs are held back: the holder that took over may
   * have recorded them as interrupted already.
   */
  get lost(): unknown {
    return this.#lost;
  }

  /** The lease as last taken or renewed, if held. */
  get lease(): InstanceLease | undefined {
    return this.#lease;
  }

  /**
   * Takes the lease unless it is held already, and starts the heartbeat.
   * @throws LogHeldError (`planflow:log-held`) while another instance's lease is live;
   * StorageError when the store cannot record it.
   */
  async hold(): Promise<void> {
    if (this.#lease !== undefined) return;
    const grant = await this.#leases.acquire({
      ...this.#holder,
      nowMs: this.#clock.now(),
      ttlMs: this.#ttlMs,
    });
    if (!grant.granted) throw heldError(grant.holders);
    this.#lease = grant.lease;
    this.#lost = undefined;
    this.#taken = true;
    this.#paused = false;
    this.#generation++;
    this.#setOthers(grant.others, false);
    this.#arm();
  }

  /**
   * Stops the heartbeat and gives the lease up. A lease lost to a failing store may still be
   * on record under this instance, so the record is removed whenever one was ever taken
   * (a record another instance holds is never touched: removal is by instance id).
   */
  async release(): Promise<void> {
    this.#disarm();
    this.#generation++;
    this.#lease = undefined;
    this.#lost = undefined;
    this.#setOthers([], false);
    if (!this.#taken) return;
    this.#taken = false;
    await this.#leases.release(this.#holder.instanceId);
  }

  #arm(): void {
    this.#disarm();
    const generation = this.#generation;
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = undefined;
        void this.#renew(generation);
      },
      Math.max(1, Math.floor(this.#ttlMs / 3)),
    );
    const handle = this.#timer as { unref?: unknown } | null;
    if (typeof handle?.unref === 'function') (handle.unref as () => void).call(handle);
  }

  #disarm(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #renew(generation: number): Promise<void> {
    const { instanceId } = this.#holder;
    const nowMs = this.#clock.now();
    let renewed: InstanceLease | undefined;
    try {
      renewed = await this.#leases.renew(instanceId, nowMs, this.#ttlMs, this.#paused);
    } catch (error) {
      if (generation !== this.#generation) return;
      // Still ours until it lapses; past that, another instance may have taken it over.
      if (this.#lease !== undefined && this.#clock.now() < this.#lease.expiresAtMs) this.#arm();
      else this.#lose(error);
      return;
    }
    if (generation !== this.#generation) return;
    if (renewed !== undefined) {
      this.#lease = renewed;
      this.#arm();
      // A fleet's members are read with each heartbeat; a failed read keeps the last ones.
      await this.refresh().catch(() => undefined);
      return;
    }
    let holders: readonly InstanceLease[] = [];
    try {
      holders = (await this.#leases.list()).filter((l) => l.instanceId !== instanceId);
    } catch {
      // The loss is what matters; the holders only make the message more precise.
    }
    if (generation === this.#generation) this.#lose(takenOverError(instanceId, holders));
  }

  #lose(error: unknown): void {
    this.#lease = undefined;
    this.#setOthers([], false);
    this.#lost = error;
    this.#generation++;
    this.#onLost(error);
  }
}
