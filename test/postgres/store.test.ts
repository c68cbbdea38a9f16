import { beforeAll, describe, expect, it } from 'vitest';
import { isPlanflowError } from '../../src/domain/errors.js';
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
