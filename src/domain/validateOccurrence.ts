import { deepFreeze } from './deepFreeze.js';
import { ValidationError } from './errors.js';
import type {
  InstantInput,
  Occurrence,
  OccurrenceCause,
  PlacementMove,
  PlacementReason,
  ScheduledOccurrenceInput,
} from './types.js';
import { OCCURRENCE_CAUSES } from './types.js';
import { readChoice, readId, readInteger, readRecord } from './validateFields.js';
import { defineFields, optional, readFields, rule, withDefault } from './validateFieldTable.js';
import { readInstant } from './validateInstant.js';
import { type InputScope, nestedScope } from './validationFailure.js';

const id = rule<string>(readId);
const instant = rule<InstantInput, string>(readInstant);

/** Every {@link PlacementReason}, in the order the docs list them. */
export const PLACEMENT_REASONS: readonly PlacementReason[] = Object.freeze([
  'working-hours',
  'holiday',
  'cap-per-day',
  'instant-taken',
  'slot',
  'pinned',
  'jitter',
  'calendar',
]);

type MoveInput = NonNullable<ScheduledOccurrenceInput['moved']>;

const MOVE_FIELDS = defineFields<MoveInput, PlacementMove>({
  from: instant,
  reason: rule<PlacementReason>((v, s, f) => readChoice(v, PLACEMENT_REASONS, s, f)),
});

function readMove(value: unknown, scope: InputScope, field: string): PlacementMove {
  const record = readRecord(value, scope, field);
  return readFields(MOVE_FIELDS, record, nestedScope(scope, field)) as PlacementMove;
}

/** The occurrence's fields in the order they are stored, typed against {@link ScheduledOccurrenceInput} (see FieldTable). */
const FIELDS = defineFields<ScheduledOccurrenceInput, Occurrence>({
  id,
  taskId: id,
  scheduledFor: instant,
  attempt: withDefault(
    rule<number>((v, s, f) => readInteger(v, s, f, 0)),
    0,
  ),
  cause: rule<OccurrenceCause>((v, s, f) => readChoice(v, OCCURRENCE_CAUSES, s, f)),
  slotName: optional(id),
  pinnedTime: optional(instant),
  parentId: optional(id),
  moved: optional(rule<MoveInput, PlacementMove>(readMove)),
  slot: optional(instant),
  through: optional(instant),
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

const CONTENT = [
  'taskId',
  'scheduledFor',
  'attempt',
  'cause',
  'slotName',
  'pinnedTime',
  'parentId',
] as const;

/**
 * Refuses an occurrence whose id is already recorded (or given earlier in the same list) with
 * other content. An id names one occurrence for good: re-arming it at another time or for
 * another task would fire it at the new time while the log still says the old one, so only
 * an identical re-schedule (which just re-arms) is accepted.
 * @throws ValidationError (`planflow:invalid-occurrence`, field `id`, or `[i].id` in a list).
 */
export function checkSameOccurrence(
  recorded: Occurrence | undefined,
  given: Occurrence,
  method: string,
  field = 'id',
): void {
  if (recorded === undefined) return;
  const differs = CONTENT.find((key) => recorded[key] !== given[key]);
  if (differs === undefined) return;
  const show = (o: Occurrence) =>
    `task "${o.taskId}" at ${o.scheduledFor} (attempt ${o.attempt}, cause ${o.cause}${o.slotName === undefined ? '' : `, slot ${o.slotName}`}${o.pinnedTime === undefined ? '' : `, pinned ${o.pinnedTime}`}${o.parentId === undefined ? '' : `, parent ${o.parentId}`})`;
  throw new ValidationError(
    'planflow:invalid-occurrence',
    field,
    `SmartScheduler.${method}: occurrence "${given.id}" is already recorded for ${show(recorded)}; this one differs in ${differs} (${show(given)}). Nothing was scheduled. To schedule a different occurrence, give it its own id: makeOccurrence({ taskId, cause, scheduledFor }) derives one.`,
  );
}
