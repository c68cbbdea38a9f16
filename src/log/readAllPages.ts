import type { Page } from '../domain/types.js';

/**
 * Every item of a paged query, page after page: `fetch` is called with each page's
 * `nextCursor` until a page has none. For tools and tests that need the whole answer; a
 * program that can should handle one page at a time instead.
 * @example
 * const runs = await readAllPages((cursor) => scheduler.listExecutions({ taskId: 'backup', cursor }));
 */
export async function readAllPages<T>(
  fetch: (cursor: string | undefined) => Promise<Page<T>>,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetch(cursor);
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return all;
}
