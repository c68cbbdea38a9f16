import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sqliteStore } from '../../src/sqlite/index.js';
import type { DurableSubject } from './durableQueue.js';
import { PlanflowQueue } from './PlanflowQueue.js';

/**
 * PlanFlow on the default SQLite store (`synchronous: 'FULL'`, verified on open), one file
 * per case. Its tasks are defined beforehand on a `synchronous: 'NORMAL'` connection to the
 * file: under `FULL` each definition is its own fsync'd commit, and the 10 000 tasks Burst
 * needs would take ~40 s to define. `synchronous` belongs to the connection, not the file,
 * so the measured connection opened afterwards is `FULL` again.
 */
export const planflowDurable: DurableSubject = {
  namespace: () => join(mkdtempSync(join(tmpdir(), 'planflow-durable-')), 'log.db'),
  open: async (path) =>
    new PlanflowQueue({
      open: () => sqliteStore({ path }),
      openForSetup: () => sqliteStore({ path, synchronous: 'NORMAL', verifyOnOpen: false }),
    }),
  drop: async (path) => rmSync(dirname(path), { recursive: true, force: true }),
};
