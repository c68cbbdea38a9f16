import type { HistoryQuery } from './types.js';
import { readId, readRecord } from './validateFields.js';
import { defineFields, optional, readFields, rule } from './validateFieldTable.js';
import { methodScope } from './validateId.js';
import { invalid } from './validationFailure.js';

type QueryFields = Readonly<{ taskId?: string; occurrenceId?: string }>;

const FIELDS = defineFields<QueryFields, QueryFields>({
  taskId: optional(rule<string>(readId)),
  occurrenceId: optional(rule<string>(readId)),
});

/**
 * Validates the argument of `history(query)`: `{ taskId }` or `{ occurrenceId }`, exactly one.
 * @throws ValidationError (`planflow:invalid-input`) naming the field.
 * @example
 * parseHistoryQuery({ taskId: 'standup' }); // { taskId: 'standup' }
 */
export function parseHistoryQuery(input: unknown): HistoryQuery {
  const scope = methodScope('history');
  const record = readRecord(input, scope, 'query');
  const query = readFields(FIELDS, record, { ...scope, path: 'query' });
  const { taskId, occurrenceId } = query;
  if ((taskId === undefined) === (occurrenceId === undefined)) {
    throw invalid(
      scope,
      'query',
      'either { taskId } or { occurrenceId }, exactly one of them',
      input,
    );
  }
  return Object.freeze(taskId !== undefined ? { taskId } : { occurrenceId: occurrenceId! });
}
