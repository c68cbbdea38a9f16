import { deepFreeze } from './deepFreeze.js';
import type {
  InstantInput,
  Occurrence,
  OccurrenceCause,
  ScheduledOccurrenceInput,
} from './types.js';
import { readChoice, readId, readInteger, readRecord } from './validateFields.js';
import { defineFields, optional, readFields, rule, withDefault } from './validateFieldTable.js';
import { readInstant } from './validateInstant.js';
import type { InputScope } from './validationFailure.js';

const CAUSES: readonly OccurrenceCause[] = ['initial', 'retry', 'recurrence', 'recovery', 'manual'];

const id = rule<string>(readId);
const instant = rule<InstantInput, string>(readInstant);

/** The occurrence's fields in the order they are stored, typed against {@link ScheduledOccurrenceInput} (see FieldTable). */
const FIELDS = defineFields<ScheduledOccurrenceInput, Occurrence>({
  id,
  taskId: id,
  scheduledFor: instant,
  attempt: withDefault(
    rule<number>((v, s, f) => readInteger(v, s, f, 0)),
    0,
  ),
  cause: rule<OccurrenceCause>((v, s, f) => readChoice(v, CAUSES, s, f)),
  slotName: optional(id),
  pinnedTime: optional(instant),
  parentId: optional(id),
});

const ROOT: InputScope = Object.freeze({
  code: 'planflow:invalid-occurrence',
  subject: 'Occurrence',
  path: '',
});

/**
 * Validates an occurrence read from an untrusted place (a database row, a CLI argument, an
 * imported log) and returns it frozen. The id is kept as stored, not recomputed: ids minted
 * by an older derivation must still match the events that reference them.
 * @throws ValidationError (`planflow:invalid-occurrence`) naming the field.
 */
export function parseOccurrence(input: unknown): Occurrence {
  const record = readRecord(input, ROOT, '');
  const scope: InputScope =
    typeof record.id === 'string' && record.id.length > 0 && record.id.length <= 60
      ? { ...ROOT, subject: `Occurrence ${JSON.stringify(record.id)}` }
      : ROOT;
  return deepFreeze(readFields(FIELDS, record, scope) as Occurrence);
}
