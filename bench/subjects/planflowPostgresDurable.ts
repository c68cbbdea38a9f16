import { randomBytes } from 'node:crypto';
import { postgresStore } from '../../src/postgres/index.js';
import { dropPgSchema } from '../lib/dropPgSchema.js';
import type { DurableSubject } from './durableQueue.js';
import { DURABLE_SETTINGS, PG_URL } from './durableSettings.js';
import { PlanflowQueue } from './PlanflowQueue.js';

const settings = DURABLE_SETTINGS['planflow-postgres']!.settings;

/**
 * PlanFlow on `postgresStore` with its defaults (verified on open, 4 connections), one
 * schema per case, created by the store and dropped at the end. The tasks are defined
 * beforehand through a store opened without verification, closed before the measured one
 * opens.
 */
export const planflowPostgresDurable: DurableSubject = {
  namespace: () => `bench_planflow_${process.pid}_${randomBytes(4).toString('hex')}`,
  open: async (schema) =>
    new PlanflowQueue({
      open: () =>
        postgresStore({
          connectionString: PG_URL,
          schema,
          maxConnections: Number(settings.maxConnections),
        }),
      openForSetup: () => postgresStore({ connectionString: PG_URL, schema, verifyOnOpen: false }),
    }),
  drop: dropPgSchema,
};
