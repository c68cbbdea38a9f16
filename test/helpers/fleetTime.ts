import type { TestClock } from '../../src/testing/TestClock.js';
import { sql } from './pgSchemas.js';

/**
 * Polls `condition` (every `everyMs` of real time) until it holds; fails naming `what` after
 * `timeoutMs`. For what a PostgreSQL server delivers in its own time (a NOTIFY, a round trip):
 * the test waits for a fact, never for a fixed time.
 */
export async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 10_000, everyMs = 5 }: Readonly<{ timeoutMs?: number; everyMs?: number }> = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Advances `clock` by `ms` in steps of one heartbeat (`heartbeatMs`, a third of the lease),
 * waiting after each until the heartbeats of `alive` (instances on that clock; `'all'`: every
 * lease on record) that came due are on record in `schema`'s leases: the TestClock jumps at once while a renewal's round
 * trips take real time, and a fleet must not see a live instance's lease lapse only because
 * the test outran the server. Then it waits until the log stopped growing for a few polls, so
 * what the step made due is recorded before the next one.
 */
export async function advanceFleet(
  schema: string,
  clock: TestClock,
  ms: number,
  alive: readonly string[] | 'all',
  heartbeatMs: number,
): Promise<void> {
  for (let done = 0; done < ms; ) {
    const step = Math.min(heartbeatMs, ms - done);
    await clock.advanceAsync(step);
    done += step;
    const due = clock.now() - heartbeatMs;
    await until(
      `the heartbeats due by ${new Date(clock.now()).toISOString()} are recorded`,
      async () => {
        const rows =
          alive === 'all'
            ? await sql<{ renewed_ms: string }>(
                `SELECT renewed_ms FROM "${schema}".instance_leases`,
              )
            : await sql<{ renewed_ms: string }>(
                `SELECT renewed_ms FROM "${schema}".instance_leases WHERE instance_id = ANY($1)`,
                [alive],
              );
        const counted = alive === 'all' || rows.length === alive.length;
        return counted && rows.every((r) => Number(r.renewed_ms) >= due);
      },
    );
    // And until the instances stopped appending for a few polls: what this step made due
    // (claims, outcomes, a take-over) is in before the clock moves on.
    let last = -1;
    let quiet = 0;
    await until(`the log is quiet at ${new Date(clock.now()).toISOString()}`, async () => {
      const [row] = await sql<{ head: string | null }>(
        `SELECT max(seq) AS head FROM "${schema}".entries`,
      );
      const head = Number(row?.head ?? 0);
      quiet = head === last ? quiet + 1 : 0;
      last = head;
      return quiet >= 3;
    });
  }
}
