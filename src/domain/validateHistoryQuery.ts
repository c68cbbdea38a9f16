import type { EntryQuery, HistoryQuery } from './types.js';
import { readId, readRecord } from './validateFields.js';
import { defineFields, optional, readFields, rule } from './validateFieldTable.js';
import { methodScope } from './validateId.js';
import { PAGE_FIELDS, resolvePage } from './validatePageRequest.js';
import { invalid } from './validationFailure.js';

type QueryFields = Readonly<{ taskId?: string; occurrenceId?: string }> &
  Omit<HistoryQuery, 'taskId' | 'occurrenceId'>;

const FIELDS = defineFields<QueryFields, Record<string, unknown>>({
  taskId: optional(rule<string>(readId)),
  occurrenceId: optional(rule<string>(readId)),
  ...PAGE_FIELDS,
});

/**
 * Validates the argument of `history(query)`: `{ taskId }` or `{ occurrenceId }`, exactly
 * one, with optional paging (`from`, `to` on entry time, `limit`, `cursor`). Returns the
 * store-facing form.
 * @throws ValidationError (`planflow:invalid-input`) naming the field.
 * @example
 * parseHistoryQuery({ taskId: 'standup' }); // { taskId: 'standup', limit: 1000 }
 */
export function parseHistoryQuery(input: unknown): EntryQuery {
  const scope = methodScope('history');
  const record = readRecord(input, scope, 'query');
  const read = readFields(FIELDS, record, { ...scope, path: 'query' }) as {
    taskId?: string;
    occurrenceId?: string;
    from?: number;
    to?: number;
    limit?: number;
    cursor?: number;
    order?: 'asc' | 'desc';
  };
  const { taskId, occurrenceId } = read;
  if ((taskId === undefined) === (occurrenceId === undefined)) {
    throw invalid(
      scope,
      'query',
      'either { taskId } or { occurrenceId }, exactly one of them',
      input,
    );
  }
  const page = resolvePage(read, scope, 'query');
  return Object.freeze(
    taskId !== undefined ? { taskId, ...page } : { occurrenceId: occurrenceId!, ...page },
  );
}
