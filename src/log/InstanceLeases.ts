import type { InstanceLease } from '../domain/types.js';

/** Who asks for a lease: the scheduler instance, its process and its host. */
export type LeaseHolder = Readonly<{ instanceId: string; pid: number; host: string }>;

/** A request to take (or take back) a lease at `nowMs`, lapsing `ttlMs` later unless renewed. */
export type LeaseRequest = LeaseHolder & Readonly<{ nowMs: number; ttlMs: number }>;

/**
 * The answer to {@link InstanceLeases.acquire}.
 * - granted: `lease` is the holder's record now; `others` are the live leases of other
 *   instances the store let it share the log with (always empty for an exclusive store);
 *   `replaced` are the stale leases this acquisition removed (their holders died or stopped
 *   renewing), so the new holder knows whose runs it may recover.
 * - refused: `holders` are the live leases that keep it out.
 */
export type LeaseGrant =
  | Readonly<{
      granted: true;
      lease: InstanceLease;
      others: readonly InstanceLease[];
      replaced: readonly InstanceLease[];
    }>
  | Readonly<{ granted: false; holders: readonly InstanceLease[] }>;

/**
 * Port for the scheduler instances' leases on one log: heartbeat records kept beside the log,
 * never in its hash chain (a lease says who runs now, not what happened). A store that
 * offers it exposes it as `store.leases`; a scheduler takes a lease at its first `start()`,
 * renews it every few seconds and releases it at `stop()`.
 *
 * The port does not assume one holder. Whether a live lease of another instance refuses an
 * acquisition is the implementation's policy: the SQLite and memory stores are exclusive (one
 * running scheduler per log), a store made for a fleet grants many live leases and reports
 * the others in the grant. What every implementation keeps:
 * - `acquire` is atomic: two racing requests never both get an exclusive lease, and a stale
 *   lease ({@link isLeaseStale}) is removed in the same step that grants the new one;
 * - a holder's own record is taken back by `acquire` with the same instance id (after a lost
 *   renewal), keeping its `startedAtMs`;
 * - `renew` extends only the holder's own record and answers `undefined` when there is none
 *   any more (released, or taken over after it lapsed): the caller no longer holds the log.
 */
export interface InstanceLeases {
  /**
   * Whether several live holders share the log (a fleet: the policy of `decideShared`)
   * rather than one at a time (`decideExclusive`).
   */
  readonly shared: boolean;
  acquire(request: LeaseRequest): Promise<LeaseGrant>;
  /**
   * Extends the holder's lease to `nowMs + ttlMs` and records whether it is `paused` (a store
   * that is not shared may ignore that); `undefined` when it holds none any more.
   */
  renew(
    instanceId: string,
    nowMs: number,
    ttlMs: number,
    paused?: boolean,
  ): Promise<InstanceLease | undefined>;
  /** Removes the holder's lease (nothing when it holds none). */
  release(instanceId: string): Promise<void>;
  /** Every lease on record, stale ones included, oldest first. */
  list(): Promise<readonly InstanceLease[]>;
}

/** What a store does for one acquisition, decided from the records it read. */
export type LeaseDecision = Readonly<{
  grant: LeaseGrant;
  /** Stale leases of other instances to delete (only when granted). */
  remove: readonly InstanceLease[];
  /** The record to write for the holder (only when granted). */
  write: InstanceLease | undefined;
}>;
