import type { TriggerTarget } from './types.js';
import { readId, readRecord } from './validateFields.js';
import { defineFields, optional, readFields, rule } from './validateFieldTable.js';
import { methodScope } from './validateId.js';
import { invalid } from './validationFailure.js';

type TargetFields = Readonly<{ taskId?: string; occurrenceId?: string }>;

const FIELDS = defineFields<TargetFields, TargetFields>({
  taskId: optional(rule<string>(readId)),
  occurrenceId: optional(rule<string>(readId)),
});

/**
 * Validates the argument of `triggerNow(target)`: `{ occurrenceId }` (fire a pending
 * occurrence) or `{ taskId }` (a new manual run), exactly one.
 * @throws ValidationError (`planflow:invalid-input`) naming the field.
 */
export function parseTriggerTarget(input: unknown): TriggerTarget {
  const scope = methodScope('triggerNow');
  const record = readRecord(input, scope, 'target');
  const { taskId, occurrenceId } = readFields(FIELDS, record, { ...scope, path: 'target' });
  if ((taskId === undefined) === (occurrenceId === undefined)) {
    throw invalid(
      scope,
      'target',
      'either { occurrenceId } or { taskId }, exactly one of them',
      input,
    );
  }
  return Object.freeze(taskId !== undefined ? { taskId } : { occurrenceId: occurrenceId! });
}
