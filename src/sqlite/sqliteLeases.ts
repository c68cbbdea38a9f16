import type Database from 'better-sqlite3';
import { decideExclusive } from '../log/decideExclusive.js';
import type { InstanceLeases } from '../log/InstanceLeases.js';
import { type LeaseRow, rowToLease } from '../log/leaseRow.js';
import { readOnlyStoreError } from '../log/storeErrors.js';
import { type FaultSite, guarded } from './storageFault.js';

/** Where the leases live and how their faults are named. */
export type SqliteLeasesSetup = Readonly<{
  db: Database.Database;
  readOnly: boolean;
  component: string;
  path: string;
  /** Throws once the store is closed. */
  ensureOpen: (operation: string) => void;
}>;

/**
 * The SQLite store's instance leases, in the `instance_leases` table beside the entries, and
 * exclusive: one running scheduler per file, whichever process or store object it runs in.
 * An acquisition is one `BEGIN IMMEDIATE` transaction (read every lease, decide, delete the
 * stale ones, write the holder's), so of two processes racing for a free file exactly one
 * wins; the other waits for the write lock (the connection's busy timeout), then reads the
 * winner's live lease and is refused. A renewal is one `UPDATE` of the holder's own row.
 */
export function sqliteLeases(setup: SqliteLeasesSetup): InstanceLeases {
  const { db, readOnly, component, path, ensureOpen } = setup;
  const site = (operation: string): FaultSite => ({ component, path, operation });
  const all = db.prepare<[], LeaseRow>('SELECT * FROM instance_leases ORDER BY started_ms');
  const remove = db.prepare<[string]>('DELETE FROM instance_leases WHERE instance_id = ?');
  const upsert = db.prepare<[string, number, string, number, number, number]>(
    `INSERT INTO instance_leases (instance_id, pid, host, started_ms, renewed_ms, expires_ms)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (instance_id) DO UPDATE SET pid = excluded.pid, host = excluded.host,
       started_ms = excluded.started_ms, renewed_ms = excluded.renewed_ms,
       expires_ms = excluded.expires_ms`,
  );
  const extend = db.prepare<[number, number, string], LeaseRow>(
    'UPDATE instance_leases SET renewed_ms = ?, expires_ms = ? WHERE instance_id = ? RETURNING *',
  );
  const writable = (operation: string): void => {
    ensureOpen(operation);
    if (readOnly) throw readOnlyStoreError(component, path);
  };
  /**
   * Runs a lease write without waiting for the disk (`synchronous = NORMAL` for its commit,
   * the connection's own level restored at once): a lease lost to a power cut only looks
   * older, and after a reboot its pid is gone anyway, so paying a FULL store's fsync (1-6 ms,
   * on the event loop) every 5 s would buy nothing. The next entry's FULL commit flushes the
   * write-ahead log with it. Synchronous, so no append of this connection runs in between.
   */
  const withoutFsync = <T>(write: () => T): T => {
    const level = db.pragma('synchronous', { simple: true }) as number;
    if (level <= 1) return write();
    db.pragma('synchronous = NORMAL');
    try {
      return write();
    } finally {
      db.pragma(`synchronous = ${level}`);
    }
  };
  const acquireNow = db.transaction((request: Parameters<InstanceLeases['acquire']>[0]) => {
    const decision = decideExclusive(all.all().map(rowToLease), request);
    for (const stale of decision.remove) remove.run(stale.instanceId);
    const lease = decision.write;
    if (lease !== undefined) {
      upsert.run(
        lease.instanceId,
        lease.pid,
        lease.host,
        lease.startedAtMs,
        lease.renewedAtMs,
        lease.expiresAtMs,
      );
    }
    return decision.grant;
  });
  return {
    shared: false,
    async acquire(request) {
      writable('acquire a lease on');
      return guarded(site('acquire a lease on'), () =>
        withoutFsync(() => acquireNow.immediate(request)),
      );
    },
    async renew(instanceId, nowMs, ttlMs) {
      writable('renew a lease on');
      return guarded(site('renew a lease on'), () => {
        const row = withoutFsync(() => extend.get(nowMs, nowMs + ttlMs, instanceId));
        return row === undefined ? undefined : rowToLease(row);
      });
    },
    async release(instanceId) {
      writable('release a lease on');
      guarded(site('release a lease on'), () => withoutFsync(() => remove.run(instanceId)));
    },
    async list() {
      ensureOpen('list the leases of');
      return guarded(site('list the leases of'), () => all.all().map(rowToLease));
    },
  };
}
