import { describe, expect, it } from 'vitest';
import { pollUntil } from '../../bench/lib/pollUntil.js';
import { loadDurableSubject } from '../../bench/subjects/durableSubjects.js';
import { requirePostgres, sql } from '../helpers/pgSchemas.js';

const schemaExists = async (schema: string): Promise<boolean> =>
  (await sql('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema])).length >
  0;

const count = async (schema: string, type: string): Promise<number> =>
  Number(
    (
      await sql<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".entries WHERE type = $1`, [
        type,
      ])
    )[0]!.n,
  );

describe('PlanFlow on PostgreSQL as a durable benchmark subject', () => {
  it('runs its jobs in a schema of its own, opens it again as the restarted process does, and drops it', async () => {
    await requirePostgres();
    const subject = await loadDurableSubject('planflow-postgres');
    const ns = subject.namespace();
    expect(ns).toMatch(/^bench_planflow_\d+_[0-9a-f]{8}$/);
    try {
      const queue = await subject.open(ns);
      const ran: number[] = [];
      let allRan: () => void = () => {};
      const ranAll = new Promise<void>((resolve) => {
        allRan = resolve;
      });
      // Three jobs at one instant (three tasks), and one an hour on that stays pending.
      const due = Date.now() + 300;
      const later = Date.now() + 3_600_000;
      try {
        const arm = await queue.prepare(Float64Array.from([due, due, due, later]));
        await queue.startWorker((dueMs) => {
          ran.push(dueMs);
          if (ran.length === 3) allRan();
        });
        await arm();
        await ranAll;
        // Done is counted from published completions, which follow their commit.
        const recorded = await pollUntil(
          async () => (await queue.doneCount()) >= 3,
          Date.now() + 10_000,
          5,
        );
        expect(recorded).toBe(true);
        expect(await queue.doneCount()).toBe(3);
      } finally {
        await queue.close();
      }
      expect(ran).toEqual([due, due, due]);
      expect(await count(ns, 'task.defined')).toBe(3);
      expect(await count(ns, 'occurrence.completed')).toBe(3);

      // The restarted process (bench/restartChild.ts) opens the namespace and starts.
      const restarted = await subject.open(ns);
      try {
        await restarted.startWorker(() => {});
        expect(Object.keys(restarted.phases()).sort()).toEqual([
          'readyMs',
          'startMs',
          'storeOpenMs',
        ]);
        // Preparing again defines only the tasks the log does not hold yet.
        await restarted.prepare(Float64Array.from([later + 1, later + 1, later + 1, later + 1]));
      } finally {
        await restarted.close();
      }
      expect(await count(ns, 'task.defined')).toBe(4);
      expect(await count(ns, 'occurrence.triggered')).toBe(3);
    } finally {
      await subject.drop(ns);
    }
    expect(await schemaExists(ns)).toBe(false);
  }, 30_000);
});
