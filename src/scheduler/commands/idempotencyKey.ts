import type { Occurrence } from '../../domain/types.js';

/**
 * The idempotency key of an occurrence: the id of the first attempt of its unit of work.
 * A retry inherits its parent's key (walking back through retries), so a first run, its
 * retries and a re-run after a crash all present the same key to the handler, while each
 * recurrence starts a new unit of work with a new key.
 */
export async function idempotencyKey(
  occurrence: Occurrence,
  occurrenceOf: (id: string) => Promise<Occurrence | undefined>,
): Promise<string> {
  let root = occurrence;
  for (
    let hops = 0;
    root.cause === 'retry' && root.parentId !== undefined && hops < 10_000;
    hops++
  ) {
    const parent = await occurrenceOf(root.parentId);
    if (parent === undefined) break;
    root = parent;
  }
  return `pf:${root.taskId}:${root.id}`;
}
