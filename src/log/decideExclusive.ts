import type { InstanceLease } from '../domain/types.js';
import type { LeaseDecision, LeaseRequest } from './InstanceLeases.js';
import { isLeaseStale } from './isLeaseStale.js';
import { holderLease } from './leaseRow.js';

/**
 * The one-holder policy of the SQLite and memory stores, decided from every lease on record:
 * refused while another instance's lease is live; otherwise granted, the stale leases removed
 * and the holder's record written (a holder taking back its own record keeps its start). The
 * caller reads, decides and writes in one atomic step.
 */
export function decideExclusive(
  records: readonly InstanceLease[],
  request: LeaseRequest,
): LeaseDecision {
  const own = records.find((r) => r.instanceId === request.instanceId);
  const others = records.filter((r) => r.instanceId !== request.instanceId);
  const live = others.filter((r) => !isLeaseStale(r, request.nowMs, request.host));
  if (live.length > 0) {
    return { grant: { granted: false, holders: live }, remove: [], write: undefined };
  }
  const lease = holderLease(request, own);
  return {
    grant: { granted: true, lease, others: [], replaced: others },
    remove: others,
    write: lease,
  };
}
