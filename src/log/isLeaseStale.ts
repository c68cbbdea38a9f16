import type { InstanceLease } from '../domain/types.js';

/** Whether process `pid` exists on this host: `kill(pid, 0)` sends nothing, it only checks. */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user. Only ESRCH says it is gone.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Whether `lease` may be taken over at `nowMs` by a process on `host`: it lapsed (nobody
 * renewed it in time), or it was taken on this same host by a process that no longer exists
 * (killed, crashed), which needs no wait. A lease of another host is judged by its expiry
 * alone, since its pid means nothing here.
 */
export function isLeaseStale(lease: InstanceLease, nowMs: number, host: string): boolean {
  if (lease.expiresAtMs <= nowMs) return true;
  return lease.host === host && Number.isSafeInteger(lease.pid) && lease.pid > 0
    ? !processExists(lease.pid)
    : false;
}
