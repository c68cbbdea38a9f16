import type { ExecutionState, OccurrenceFilter } from './types.js';
import { readChoice, readId, readList, readRecord } from './validateFields.js';
import { defineFields, optional, readFields, rule } from './validateFieldTable.js';
import { methodScope } from './validateId.js';
import type { InputScope } from './validationFailure.js';

const STATES: readonly ExecutionState[] = [
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
];

function readStates(
  value: unknown,
  scope: InputScope,
  field: string,
): ExecutionState | readonly ExecutionState[] {
  if (!Array.isArray(value)) return readChoice(value, STATES, scope, field);
  return Object.freeze(
    readList(value, scope, field, 'states').map((s, i) =>
      readChoice(s, STATES, scope, `${field}[${i}]`),
    ),
  );
}

const FIELDS = defineFields<OccurrenceFilter, OccurrenceFilter>({
  taskId: optional(rule<string>(readId)),
  state: optional(rule<ExecutionState | readonly ExecutionState[]>(readStates)),
});

/**
 * Validates the filter of `listOccurrences(filter)` / `listExecutions(filter)`; `undefined`
 * means no filter.
 * @throws ValidationError (`planflow:invalid-input`) naming the field.
 * @example
 * parseOccurrenceFilter({ taskId: 'standup', state: ['scheduled', 'triggered'] });
 */
export function parseOccurrenceFilter(
  input: unknown,
  method = 'listOccurrences',
): OccurrenceFilter {
  if (input === undefined) return Object.freeze({});
  const scope = methodScope(method);
  const record = readRecord(input, scope, 'filter');
  return Object.freeze(
    readFields(FIELDS, record, { ...scope, path: 'filter' }) as OccurrenceFilter,
  );
}
