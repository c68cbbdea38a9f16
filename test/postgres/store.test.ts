import { beforeAll, describe, expect, it } from 'vitest';
import { isPlanflowError } from '../../src/domain/errors.js';
import { makeOccurrence } from '../../src/domain/makeOccurrence.js';
import { parseOccurrenceQuery } from '../../src/domain/validateOccurrenceQuery.js';
import { parseTask } from '../../src/domain/validateTask.js';
import { streams } from '../../src/log/events.js';
import { postgresStore } from '../../src/postgres/index.js';
import { describeEventStoreContract } from '../contracts/storeContract.js';
import { dropSchema, newSchemaName, PG_URL, requirePostgres } from '../helpers/pgSchemas.js';

beforeAll(requirePostgres);

describeEventStoreContract('postgresStore', async ({ clock }) => {
  const schema = newSchemaName();
  const store = await postgresStore({ connectionString: PG_URL, schema, clock });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
});

describe('postgresStore options', () => {
  it('refuses a connection string that is not a postgres:// URL', async () => {
    const error = await postgresStore({ connectionString: 'mysql://x' }).catch((e: unknown) => e);
    expect(isPlanflowError(error, 'planflow:invalid-options')).toBe(true);
  });
});

describe('postgresStore read model', () => {
  it('answers an outcome query over a retried run whose error message holds a NUL escape', async () => {
    const schema = newSchemaName();
    const now = Date.parse('2026-03-02T08:00:00.000Z');
    const store = await postgresStore({
      connectionString: PG_URL,
      schema,
      clock: { now: () => now },
    });
    try {
      const task = parseTask(
        { id: 't', title: 'T', retry: { maxRetries: 1 } },
        undefined,
        new Date(now),
      );
      const first = makeOccurrence({
        taskId: 't',
        cause: 'initial',
        scheduledFor: '2026-03-02T09:00:00Z',
      });
      const retry = makeOccurrence({
        taskId: 't',
        cause: 'retry',
        scheduledFor: '2026-03-02T10:00:00Z',
        attempt: 1,
        parentId: first.id,
      });
      const on = streams.occurrence(first.id);
      await store.append([
        { type: 'task.defined', stream: streams.task('t'), data: { task } },
        { type: 'occurrence.scheduled', stream: on, data: { occurrence: first } },
        {
          type: 'occurrence.triggered',
          stream: on,
          data: { occurrenceId: first.id, attempt: 0, idempotencyKey: 'k', lateByMs: 0 },
        },
        {
          type: 'occurrence.failed',
          stream: on,
          data: {
            occurrenceId: first.id,
            durationMs: 1,
            error: { name: 'Error', message: 'a\u0000b' },
          },
        },
        {
          type: 'occurrence.scheduled',
          stream: streams.occurrence(retry.id),
          data: { occurrence: retry },
        },
        {
          type: 'occurrence.retried',
          stream: on,
          data: { occurrenceId: first.id, retryId: retry.id },
        },
      ]);
      const page = await store.queryRecords(parseOccurrenceQuery({ outcome: 'failed' }));
      expect(page.items.map((r) => [r.occurrence.id, r.execution.state])).toEqual([
        [first.id, 'retrying'],
      ]);
      expect(page.items[0]!.execution.error?.message).toBe('a\u0000b');
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });
});
