import type { InstanceLease } from '../domain/types.js';
import { decideExclusive } from './decideExclusive.js';
import type { InstanceLeases } from './InstanceLeases.js';

/**
 * Instance leases in process memory, exclusive: one running scheduler per memory store (or,
 * for a store that keeps no leases of its own, per store object). Each call decides and
 * writes synchronously, so two schedulers starting in the same tick cannot both win. A
 * holder that was abandoned without `stop()` keeps its lease until it lapses (every holder
 * here is this process, so its pid cannot tell).
 */
export function memoryLeases(): InstanceLeases {
  const records = new Map<string, InstanceLease>();
  return {
    shared: false,
    async acquire(request) {
      const decision = decideExclusive([...records.values()], request);
      for (const stale of decision.remove) records.delete(stale.instanceId);
      if (decision.write !== undefined) records.set(decision.write.instanceId, decision.write);
      return decision.grant;
    },
    async renew(instanceId, nowMs, ttlMs) {
      const own = records.get(instanceId);
      if (own === undefined) return undefined;
      const renewed = Object.freeze({ ...own, renewedAtMs: nowMs, expiresAtMs: nowMs + ttlMs });
      records.set(instanceId, renewed);
      return renewed;
    },
    async release(instanceId) {
      records.delete(instanceId);
    },
    async list() {
      return [...records.values()].sort((a, b) => a.startedAtMs - b.startedAtMs);
    },
  };
}
