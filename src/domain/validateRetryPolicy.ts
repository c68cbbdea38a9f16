import { deepFreeze } from './deepFreeze.js';
import type { RetryPolicy, RetryPolicyInput } from './types.js';
import { readChoice, readInteger, readRecord } from './validateFields.js';
import { defineFields, optional, readFields, rule, withDefault } from './validateFieldTable.js';
import { type InputScope, nestedScope } from './validationFailure.js';

/** The seed's planner retried one hour after a failure. */
export const DEFAULT_RETRY_DELAY_MS = 3_600_000;

/** More retries than this is a loop, not a policy. */
export const MAX_RETRIES_LIMIT = 1000;

/** Longest single retry delay: one year. */
const MAX_DELAY_LIMIT = 366 * 24 * 3_600_000;

/** The policy of a task that says nothing about retries: never retry. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxRetries: 0,
  delayMs: DEFAULT_RETRY_DELAY_MS,
  backoff: 'fixed',
});

/** The policy's fields, typed against {@link RetryPolicyInput} (see FieldTable). */
const FIELDS = defineFields<RetryPolicyInput, RetryPolicy>({
  maxRetries: withDefault(
    rule<number>((v, s, f) => readInteger(v, s, f, 0, MAX_RETRIES_LIMIT)),
    0,
  ),
  delayMs: withDefault(
    rule<number>((v, s, f) => readInteger(v, s, f, 0, MAX_DELAY_LIMIT)),
    DEFAULT_RETRY_DELAY_MS,
  ),
  backoff: withDefault(
    rule<'fixed' | 'exponential'>((v, s, f) =>
      readChoice(v, ['fixed', 'exponential'] as const, s, f),
    ),
    'fixed',
  ),
  maxDelayMs: optional(rule<number>((v, s, f) => readInteger(v, s, f, 0, MAX_DELAY_LIMIT))),
});

const STANDALONE: InputScope = Object.freeze({
  code: 'planflow:invalid-task',
  subject: 'Retry policy',
  path: '',
});

/**
 * Reads a retry policy inside an enclosing scope (a task's `retry` field), filling defaults:
 * `maxRetries` 0, `delayMs` one hour, `backoff` `'fixed'`, no `maxDelayMs`.
 */
export function readRetryPolicy(input: unknown, scope: InputScope, field: string): RetryPolicy {
  const record = readRecord(input, scope, field);
  const inner = nestedScope(scope, field);
  const policy = readFields(FIELDS, record, inner) as RetryPolicy;
  if (policy.maxDelayMs !== undefined) {
    // A cap below the first delay cannot be meant; checked once both are known.
    readInteger(policy.maxDelayMs, inner, 'maxDelayMs', policy.delayMs, MAX_DELAY_LIMIT);
  }
  return deepFreeze(policy);
}

/**
 * Validates a retry policy given on its own (`{ maxRetries: 3, backoff: 'exponential' }`).
 * @throws ValidationError (`planflow:invalid-task`) naming the field, e.g. a negative or
 * fractional `maxRetries`, or a `maxDelayMs` below `delayMs`.
 */
export function parseRetryPolicy(input: unknown): RetryPolicy {
  return readRetryPolicy(input, STANDALONE, '');
}
