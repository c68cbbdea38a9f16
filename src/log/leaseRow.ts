import type { InstanceLease } from '../domain/types.js';
import type { LeaseRequest } from './InstanceLeases.js';

/**
 * One lease as a row of its table, as both stores select it (SQLite's and PostgreSQL's
 * `instance_leases`; only a shared store keeps `paused`): the shape {@link rowToLease} reads.
 */
export type LeaseRow = Readonly<{
  instance_id: string;
  pid: number;
  host: string;
  started_ms: number;
  renewed_ms: number;
  expires_ms: number;
  paused?: boolean;
}>;

/** The frozen lease a row holds. */
export function rowToLease(row: LeaseRow): InstanceLease {
  return Object.freeze({
    instanceId: row.instance_id,
    pid: row.pid,
    host: row.host,
    startedAtMs: row.started_ms,
    renewedAtMs: row.renewed_ms,
    expiresAtMs: row.expires_ms,
    ...(row.paused === undefined ? {} : { paused: row.paused }),
  });
}

/**
 * The record a granted acquisition writes for its holder: renewed now, lapsing `ttlMs` later,
 * keeping the start of the holder's own earlier record (`own`) when it takes it back.
 */
export function holderLease(
  request: LeaseRequest,
  own: InstanceLease | undefined,
  extra: Readonly<{ paused?: boolean }> = {},
): InstanceLease {
  return Object.freeze({
    instanceId: request.instanceId,
    pid: request.pid,
    host: request.host,
    startedAtMs: own?.startedAtMs ?? request.nowMs,
    renewedAtMs: request.nowMs,
    expiresAtMs: request.nowMs + request.ttlMs,
    ...extra,
  });
}
