import { createHash } from 'node:crypto';

/**
 * How far a task's `jitterMs` moves one due time of its recurrence: a delay in `[0, jitterMs]`
 * derived from a hash of the task id and the due time itself, not from a random draw. So the
 * same due time always gets the same delay — re-planning it after a restart, on another
 * instance or in `nextRuns` gives the same instant and therefore the same occurrence id —
 * while the due times of one task, and those of tasks sharing a schedule, spread over the
 * window.
 * @example
 * jitterOf('backup', Date.parse('2026-03-02T03:00:00Z'), 600_000); // e.g. 417_233
 */
export function jitterOf(taskId: string, dueMs: number, jitterMs: number): number {
  if (jitterMs <= 0) return 0;
  // A task id cannot contain a newline (ids refuse control characters).
  const digest = createHash('sha256').update(`${taskId}\n${dueMs}`).digest();
  // 48 bits are plenty for a window of at most an hour in milliseconds.
  return digest.readUIntBE(0, 6) % (jitterMs + 1);
}
