import { deepFreeze } from './deepFreeze.js';
import type { Occurrence, OccurrenceCause } from './types.js';
import {
  readChoice,
  readId,
  readInteger,
  readRecord,
  rejectUnknownKeys,
} from './validateFields.js';
import { readInstant } from './validateInstant.js';
import type { InputScope } from './validationFailure.js';

const CAUSES: readonly OccurrenceCause[] = ['initial', 'retry', 'recurrence', 'recovery', 'manual'];

const KEYS = [
  'id',
  'taskId',
  'scheduledFor',
  'slotName',
  'pinnedTime',
  'attempt',
  'cause',
  'parentId',
] as const;

/**
 * Validates an occurrence read from an untrusted place (a database row, a CLI argument, an
 * imported log) and returns it frozen. The id is kept as stored, not recomputed: ids minted
 * by an older derivation must still match the events that reference them.
 * @throws ValidationError (`planflow:invalid-occurrence`) naming the field.
 */
export function parseOccurrence(input: unknown): Occurrence {
  const root: InputScope = { code: 'planflow:invalid-occurrence', subject: 'Occurrence', path: '' };
  const record = readRecord(input, root, '');
  const scope: InputScope =
    typeof record.id === 'string' && record.id.length > 0 && record.id.length <= 60
      ? { ...root, subject: `Occurrence ${JSON.stringify(record.id)}` }
      : root;
  rejectUnknownKeys(record, KEYS, scope);
  const occurrence: { -readonly [K in keyof Occurrence]: Occurrence[K] } = {
    id: readId(record.id, scope, 'id'),
    taskId: readId(record.taskId, scope, 'taskId'),
    scheduledFor: readInstant(record.scheduledFor, scope, 'scheduledFor'),
    attempt: record.attempt === undefined ? 0 : readInteger(record.attempt, scope, 'attempt', 0),
    cause: readChoice(record.cause, CAUSES, scope, 'cause'),
  };
  if (record.slotName !== undefined)
    occurrence.slotName = readId(record.slotName, scope, 'slotName');
  if (record.pinnedTime !== undefined) {
    occurrence.pinnedTime = readInstant(record.pinnedTime, scope, 'pinnedTime');
  }
  if (record.parentId !== undefined)
    occurrence.parentId = readId(record.parentId, scope, 'parentId');
  return deepFreeze(occurrence);
}
