import type { InstantInput, NextRunsOptions } from './types.js';
import { readInteger, readRecord } from './validateFields.js';
import { defineFields, optional, readFields, rule } from './validateFieldTable.js';
import { methodScope } from './validateId.js';
import { readInstantMs } from './validateInstant.js';

/** Most runs one `nextRuns` call lists. */
export const MAX_NEXT_RUNS = 1000;

/** A validated `nextRuns` request: how many runs, and from when (epoch ms) if given. */
export type NextRunsRequest = Readonly<{ count: number; fromMs?: number }>;

const FIELDS = defineFields<NextRunsOptions, { from?: number }>({
  from: optional(rule<InstantInput, number>(readInstantMs)),
});

/**
 * Validates the arguments of `nextRuns(taskId, n, options)`: `n` a whole number from 1 to
 * {@link MAX_NEXT_RUNS}, `options.from` an instant.
 * @throws ValidationError (`planflow:invalid-input`) naming the argument.
 */
export function parseNextRuns(n: unknown, options: unknown): NextRunsRequest {
  const scope = methodScope('nextRuns');
  const count = readInteger(n, scope, 'n', 1, MAX_NEXT_RUNS);
  if (options === undefined) return { count };
  const record = readRecord(options, scope, 'options');
  const { from } = readFields(FIELDS, record, { ...scope, path: 'options' });
  return from === undefined ? { count } : { count, fromMs: from };
}
