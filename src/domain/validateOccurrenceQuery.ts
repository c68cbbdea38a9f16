import type { ExecutionOutcome, ExecutionState, OccurrenceQuery, RecordQuery } from './types.js';
import { readChoice, readId, readList, readRecord } from './validateFields.js';
import { defineFields, optional, readFields, rule } from './validateFieldTable.js';
import { methodScope } from './validateId.js';
import { PAGE_FIELDS, resolvePage } from './validatePageRequest.js';
import type { InputScope } from './validationFailure.js';

/** Every state an execution record can be in, in lifecycle order. */
export const EXECUTION_STATES: readonly ExecutionState[] = Object.freeze([
  'scheduled',
  'triggered',
  'done',
  'failed',
  'retrying',
  'recurred',
  'recovered',
  'missed',
  'cancelled',
  'skipped',
]);

/** Every outcome an execution record can have. */
export const EXECUTION_OUTCOMES: readonly ExecutionOutcome[] = Object.freeze([
  'completed',
  'failed',
  'missed',
]);

/** One choice of `choices`, or a list of them. */
function readChoices<T extends string>(choices: readonly T[], what: string) {
  return (value: unknown, scope: InputScope, field: string): readonly T[] => {
    if (!Array.isArray(value)) return Object.freeze([readChoice(value, choices, scope, field)]);
    return Object.freeze(
      readList(value, scope, field, what).map((s, i) =>
        readChoice(s, choices, scope, `${field}[${i}]`),
      ),
    );
  };
}

const FIELDS = defineFields<OccurrenceQuery, Record<string, unknown>>({
  taskId: optional(rule<string>(readId)),
  state: optional(
    rule<ExecutionState | readonly ExecutionState[], readonly ExecutionState[]>(
      readChoices(EXECUTION_STATES, 'states'),
    ),
  ),
  outcome: optional(
    rule<ExecutionOutcome | readonly ExecutionOutcome[], readonly ExecutionOutcome[]>(
      readChoices(EXECUTION_OUTCOMES, 'outcomes'),
    ),
  ),
  ...PAGE_FIELDS,
});

/**
 * Validates the query of `listOccurrences(query)` / `listExecutions(query)`; `undefined`
 * means every occurrence, first page. Returns the store-facing form.
 * @throws ValidationError (`planflow:invalid-input`) naming the field.
 * @example
 * parseOccurrenceQuery({ taskId: 'standup', state: ['scheduled', 'triggered'], limit: 50 });
 * parseOccurrenceQuery({ outcome: 'completed' }); // every successful run, whatever followed
 */
export function parseOccurrenceQuery(input: unknown, method = 'listOccurrences'): RecordQuery {
  const scope = methodScope(method);
  const record = input === undefined ? {} : readRecord(input, scope, 'query');
  const read = readFields(FIELDS, record, { ...scope, path: 'query' }) as {
    taskId?: string;
    state?: readonly ExecutionState[];
    outcome?: readonly ExecutionOutcome[];
    from?: number;
    to?: number;
    limit?: number;
    cursor?: number;
    order?: 'asc' | 'desc';
  };
  return Object.freeze({
    ...(read.taskId === undefined ? {} : { taskId: read.taskId }),
    ...(read.state === undefined ? {} : { states: read.state }),
    ...(read.outcome === undefined ? {} : { outcomes: read.outcome }),
    ...resolvePage(read, scope, 'query'),
  });
}
