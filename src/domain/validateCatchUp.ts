import { deepFreeze } from './deepFreeze.js';
import type { CatchUpPolicy, CatchUpPolicyInput, CatchUpPolicyName } from './types.js';
import { readChoice, readInteger, readRecord } from './validateFields.js';
import { defineFields, optional, readFields, rule } from './validateFieldTable.js';
import { type InputScope, invalid, nestedScope } from './validationFailure.js';

/** Catch-up runs of one batch under policy `all` when the task sets no `maxRuns`. */
export const DEFAULT_CATCH_UP_MAX_RUNS = 100;

/** Most catch-up runs one batch may plan. */
const MAX_CATCH_UP_RUNS = 10_000;

/** Longest catch-up window: 366 days. */
const MAX_WINDOW_MS = 366 * 24 * 3_600_000;

const POLICIES: readonly CatchUpPolicyName[] = ['skip', 'latest', 'all'];

/** The policy's fields, typed against {@link CatchUpPolicyInput} (see FieldTable). */
const FIELDS = defineFields<CatchUpPolicyInput, CatchUpPolicy>({
  policy: rule<CatchUpPolicyName>((v, s, f) => readChoice(v, POLICIES, s, f)),
  windowMs: optional(rule<number>((v, s, f) => readInteger(v, s, f, 1, MAX_WINDOW_MS))),
  maxRuns: optional(rule<number>((v, s, f) => readInteger(v, s, f, 1, MAX_CATCH_UP_RUNS))),
});

/**
 * Reads a task's `catchUp` field: `{ policy, windowMs?, maxRuns? }`. `maxRuns` only means
 * something with policy `all`, so it is refused with the others. The default policy
 * (`{ policy: 'skip' }` and nothing else) is stored as nothing, so it does not make an equal
 * definition differ.
 */
export function readCatchUp(
  input: unknown,
  scope: InputScope,
  field: string,
): CatchUpPolicy | undefined {
  const record = readRecord(input, scope, field);
  const inner = nestedScope(scope, field);
  const policy = readFields(FIELDS, record, inner) as CatchUpPolicy;
  if (policy.maxRuns !== undefined && policy.policy !== 'all') {
    throw invalid(
      inner,
      'maxRuns',
      `left out with policy "${policy.policy}" (it caps the runs of policy "all")`,
      policy.maxRuns,
    );
  }
  if (policy.policy === 'skip' && policy.windowMs === undefined) return undefined;
  return deepFreeze(policy);
}
