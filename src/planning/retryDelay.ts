import type { RetryPolicy } from '../domain/types.js';

/**
 * How long retry number `attempt` (1 for the first retry) waits after the failure or miss:
 * `delayMs` for a fixed policy; `delayMs × 2^(attempt−1)` for an exponential one; never more
 * than `maxDelayMs` when set.
 * @example
 * retryDelayMs({ maxRetries: 5, delayMs: 60_000, backoff: 'exponential', maxDelayMs: 300_000 }, 4);
 * // 300 000 (480 000 capped)
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  const exponent = policy.backoff === 'exponential' ? Math.max(0, attempt - 1) : 0;
  const raw = policy.delayMs * 2 ** Math.min(exponent, 60);
  return policy.maxDelayMs === undefined ? raw : Math.min(raw, policy.maxDelayMs);
}
