import { deepFreeze } from './deepFreeze.js';
import type { RetryPolicy } from './types.js';
import { readChoice, readInteger, readRecord, rejectUnknownKeys } from './validateFields.js';
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

const KEYS = ['maxRetries', 'delayMs', 'backoff', 'maxDelayMs'] as const;

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
  rejectUnknownKeys(record, KEYS, inner);
  const maxRetries =
    record.maxRetries === undefined
      ? 0
      : readInteger(record.maxRetries, inner, 'maxRetries', 0, MAX_RETRIES_LIMIT);
  const delayMs =
    record.delayMs === undefined
      ? DEFAULT_RETRY_DELAY_MS
      : readInteger(record.delayMs, inner, 'delayMs', 0, MAX_DELAY_LIMIT);
  const backoff =
    record.backoff === undefined
      ? 'fixed'
      : readChoice(record.backoff, ['fixed', 'exponential'] as const, inner, 'backoff');
  const policy: { -readonly [K in keyof RetryPolicy]: RetryPolicy[K] } = {
    maxRetries,
    delayMs,
    backoff,
  };
  if (record.maxDelayMs !== undefined) {
    policy.maxDelayMs = readInteger(
      record.maxDelayMs,
      inner,
      'maxDelayMs',
      delayMs,
      MAX_DELAY_LIMIT,
    );
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
