import type { InstanceLease } from '../domain/types.js';
import type { LeaseGrant, LeaseRequest } from './InstanceLeases.js';
import { isLeaseStale } from './isLeaseStale.js';

/** What an exclusive store does for one acquisition, decided from the records it read. */
export type ExclusiveDecision = Readonly<{
  grant: LeaseGrant;
  /** Stale leases of other instances to delete (only when granted). */
  remove: readonly InstanceLease[];
  /** The record to write for the holder (only when granted). */
  write: InstanceLease | undefined;
}>;

/**
 * The one-holder policy of the SQLite and memory stores, decided from every lease on record:
 * refused while another instance's lease is live; otherwise granted, the stale leases removed
 * and the holder's record written (a holder taking back its own record keeps its start). The
 * caller reads, decides and writes in one atomic step.
 */
export function decideExclusive(
  records: readonly InstanceLease[],
  request: LeaseRequest,
): ExclusiveDecision {
  const own = records.find((r) => r.instanceId === request.instanceId);
  const others = records.filter((r) => r.instanceId !== request.instanceId);
  const live = others.filter((r) => !isLeaseStale(r, request.nowMs, request.host));
  if (live.length > 0) {
    return { grant: { granted: false, holders: live }, remove: [], write: undefined };
  }
  const lease: InstanceLease = Object.freeze({
    instanceId: request.instanceId,
    pid: request.pid,
    host: request.host,
    startedAtMs: own?.startedAtMs ?? request.nowMs,
    renewedAtMs: request.nowMs,
    expiresAtMs: request.nowMs + request.ttlMs,
  });
  return {
    grant: { granted: true, lease, others: [], replaced: others },
    remove: others,
    write: lease,
  };
}
