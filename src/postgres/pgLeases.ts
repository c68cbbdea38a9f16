import type Pg from 'pg';
import { decideShared } from '../log/decideShared.js';
import type { InstanceLeases } from '../log/InstanceLeases.js';
import { type LeaseRow, rowToLease } from '../log/leaseRow.js';
import { readOnlyStoreError } from '../log/storeErrors.js';
import { type PgSite, pgGuarded } from './pgFault.js';
import { quoted } from './pgSchema.js';

/** Where the leases live and how their faults are named. */
export type PgLeasesSetup = Readonly<{
  pool: Pg.Pool;
  schema: string;
  readOnly: boolean;
  site: (operation: string) => PgSite;
  /** Throws once the store is closed. */
  ensureOpen: (operation: string) => void;
}>;

/**
 * The PostgreSQL store's instance leases, in the schema's `instance_leases` table, and shared:
 * every instance that asks is granted (the fleet policy, {@link decideShared}), and learns
 * the others. An acquisition is one transaction that locks the table (so two racing
 * acquisitions cannot both miss a stale lease or both remove it: exactly one is told it
 * replaced it), reads every lease, removes the stale ones and writes the holder's. A renewal
 * is one `UPDATE` of the holder's own row, which also records whether it is paused.
 */
export function pgLeases(setup: PgLeasesSetup): InstanceLeases {
  const { pool, readOnly, site, ensureOpen } = setup;
  const table = `${quoted(setup.schema)}.instance_leases`;
  const columns = `instance_id, pid, host, started_ms::float8 AS started_ms,
    renewed_ms::float8 AS renewed_ms, expires_ms::float8 AS expires_ms, paused`;
  const writable = (operation: string): void => {
    ensureOpen(operation);
    if (readOnly) throw readOnlyStoreError(site(operation).component, site(operation).where);
  };
  return {
    shared: true,
    async acquire(request) {
      writable('acquire a lease on');
      return pgGuarded(site('acquire a lease on'), async () => {
        const client = await pool.connect();
        let healthy = true;
        try {
          await client.query(`BEGIN; LOCK TABLE ${table} IN EXCLUSIVE MODE`);
          const { rows } = await client.query<LeaseRow>(
            `SELECT ${columns} FROM ${table} ORDER BY started_ms, instance_id`,
          );
          const decision = decideShared(rows.map(rowToLease), request);
          if (decision.remove.length > 0) {
            await client.query(`DELETE FROM ${table} WHERE instance_id = ANY($1::text[])`, [
              decision.remove.map((l) => l.instanceId),
            ]);
          }
          const lease = decision.write;
          if (lease !== undefined) {
            await client.query(
              `INSERT INTO ${table} (instance_id, pid, host, started_ms, renewed_ms, expires_ms, paused)
               VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (instance_id) DO UPDATE SET pid = excluded.pid, host = excluded.host,
                 started_ms = excluded.started_ms, renewed_ms = excluded.renewed_ms,
                 expires_ms = excluded.expires_ms, paused = excluded.paused`,
              [
                lease.instanceId,
                lease.pid,
                lease.host,
                lease.startedAtMs,
                lease.renewedAtMs,
                lease.expiresAtMs,
                lease.paused === true,
              ],
            );
          }
          await client.query('COMMIT');
          return decision.grant;
        } catch (error) {
          healthy = false;
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        } finally {
          // A connection that failed mid-transaction is not handed back to the pool.
          client.release(healthy ? undefined : true);
        }
      });
    },
    async renew(instanceId, nowMs, ttlMs, paused = false) {
      writable('renew a lease on');
      return pgGuarded(site('renew a lease on'), async () => {
        const { rows } = await pool.query<LeaseRow>(
          `UPDATE ${table} SET renewed_ms = $1, expires_ms = $2, paused = $3
           WHERE instance_id = $4 RETURNING ${columns}`,
          [nowMs, nowMs + ttlMs, paused, instanceId],
        );
        return rows[0] === undefined ? undefined : rowToLease(rows[0]);
      });
    },
    async release(instanceId) {
      writable('release a lease on');
      await pgGuarded(site('release a lease on'), () =>
        pool.query(`DELETE FROM ${table} WHERE instance_id = $1`, [instanceId]),
      );
    },
    async list() {
      ensureOpen('list the leases of');
      return pgGuarded(site('list the leases of'), async () => {
        const { rows } = await pool.query<LeaseRow>(
          `SELECT ${columns} FROM ${table} ORDER BY started_ms, instance_id`,
        );
        return rows.map(rowToLease);
      });
    },
  };
}
