import type { PageRequest, ResolvedPage } from './types.js';
import { readChoice, readInteger } from './validateFields.js';
import { optional, rule } from './validateFieldTable.js';
import { readInstantMs } from './validateInstant.js';
import { type InputScope, invalid } from './validationFailure.js';

/** Items per page when a query names no `limit`. */
export const DEFAULT_PAGE_LIMIT = 1000;
/** The largest page a query may ask for. */
export const MAX_PAGE_LIMIT = 10_000;

const CURSOR = /^pf1:(\d{1,15})$/;

/** The cursor that continues a query after the item at `position` (a sequence number). */
export function encodeCursor(position: number): string {
  return `pf1:${position}`;
}

function readCursor(value: unknown, scope: InputScope, field: string): number {
  const match = typeof value === 'string' ? CURSOR.exec(value) : null;
  if (match === null) {
    throw invalid(
      scope,
      field,
      'the nextCursor of an earlier page (cursors are opaque: pass them back as they came)',
      value,
    );
  }
  return Number(match[1]);
}

/** Rules for the paging fields every query table includes. */
export const PAGE_FIELDS = {
  from: optional(rule<PageRequest['from'] & {}, number>(readInstantMs)),
  to: optional(rule<PageRequest['to'] & {}, number>(readInstantMs)),
  limit: optional(
    rule<number>((value, scope, field) => readInteger(value, scope, field, 1, MAX_PAGE_LIMIT)),
  ),
  cursor: optional(rule<string | undefined, number>(readCursor)),
  order: optional(
    rule<'asc' | 'desc'>((value, scope, field) => readChoice(value, ['asc', 'desc'], scope, field)),
  ),
} as const;

/** The paging fields as read by {@link PAGE_FIELDS}. */
type ReadPage = Readonly<{
  from?: number;
  to?: number;
  limit?: number;
  cursor?: number;
  order?: 'asc' | 'desc';
}>;

/**
 * The store-facing form of a query's paging fields: instants in epoch ms, the limit filled
 * in, the cursor decoded. Refuses `from` after `to`, which could only mean a mistake.
 */
export function resolvePage(read: ReadPage, scope: InputScope, path: string): ResolvedPage {
  const { from, to, limit, cursor, order } = read;
  if (from !== undefined && to !== undefined && from > to) {
    throw invalid(scope, `${path}.to`, 'an instant at or after `from`', new Date(to).toISOString());
  }
  return Object.freeze({
    ...(from === undefined ? {} : { fromMs: from }),
    ...(to === undefined ? {} : { toMs: to }),
    limit: limit ?? DEFAULT_PAGE_LIMIT,
    ...(cursor === undefined ? {} : { after: cursor }),
    descending: order === 'desc',
  });
}
