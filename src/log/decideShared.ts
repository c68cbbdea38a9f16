import type { InstanceLease } from '../domain/types.js';
import type { LeaseDecision, LeaseRequest } from './InstanceLeases.js';
import { isLeaseStale } from './isLeaseStale.js';
import { holderLease } from './leaseRow.js';

/**
 * The fleet policy of a shared store (PostgreSQL), decided from every lease on record: always
 * granted. The other live leases come back as `others` (the instances this one shares the
 * log with); the stale ones are removed and come back as `replaced`, so the new holder knows
 * which instances died. A holder taking back its own record keeps its start; a new lease is
 * running, not paused. The caller reads, decides and writes in one atomic step.
 */
export function decideShared(
  records: readonly InstanceLease[],
  request: LeaseRequest,
): LeaseDecision {
  const own = records.find((r) => r.instanceId === request.instanceId);
  const others = records.filter((r) => r.instanceId !== request.instanceId);
  const stale = others.filter((r) => isLeaseStale(r, request.nowMs, request.host));
  const live = others.filter((r) => !stale.includes(r));
  const lease = holderLease(request, own, { paused: false });
  return {
    grant: { granted: true, lease, others: live, replaced: stale },
    remove: stale,
    write: lease,
  };
}
