import type { BackfillOptions, InstantInput } from './types.js';
import { readChoice, readRecord } from './validateFields.js';
import { defineFields, readFields, rule, withDefault } from './validateFieldTable.js';
import { methodScope } from './validateId.js';
import { readInstantMs } from './validateInstant.js';
import { invalid } from './validationFailure.js';

/** Most runs one `backfill` call may plan; a longer range is split into several calls. */
export const MAX_BACKFILL_RUNS = 1000;

/** A validated `backfill` request: the range in epoch ms and how its runs overlap. */
export type BackfillRequest = Readonly<{
  fromMs: number;
  toMs: number;
  overlap: 'bufferAll' | 'allowAll';
}>;

type Overlap = NonNullable<BackfillOptions['overlap']>;

const FIELDS = defineFields<BackfillOptions, { from: number; to: number; overlap: Overlap }>({
  from: rule<InstantInput, number>(readInstantMs),
  to: rule<InstantInput, number>(readInstantMs),
  overlap: withDefault(
    rule<Overlap>((v, s, f) => readChoice(v, ['bufferAll', 'allowAll'] as const, s, f)),
    'bufferAll',
  ),
});

/**
 * Validates `backfill(taskId, options)`'s options: `from` and `to` instants with
 * `from < to ≤ nowMs` (a backfill runs what a past range would have had; a future range is
 * `nextRuns`' and the scheduler's own), `overlap` one of `bufferAll` (the default) and
 * `allowAll`.
 * @throws ValidationError (`planflow:invalid-input`) naming the field and the fix.
 */
export function parseBackfill(options: unknown, nowMs: number): BackfillRequest {
  const scope = { ...methodScope('backfill'), path: 'options' };
  const record = readRecord(options, methodScope('backfill'), 'options');
  // `from` and `to` are required by their rules: readFields refuses input without them.
  const { from, to, overlap } = readFields(FIELDS, record, scope) as Readonly<{
    from: number;
    to: number;
    overlap: Overlap;
  }>;
  if (from >= to) {
    const iso = new Date(to).toISOString();
    throw invalid(scope, 'to', `an instant after from (${new Date(from).toISOString()})`, iso);
  }
  if (to > nowMs) {
    throw invalid(
      scope,
      'to',
      `at most now (${new Date(nowMs).toISOString()}); a backfill runs a past range, and the scheduler runs what is still to come`,
      new Date(to).toISOString(),
    );
  }
  return { fromMs: from, toMs: to, overlap };
}
