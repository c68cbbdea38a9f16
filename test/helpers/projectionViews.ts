import { parseOccurrenceQuery } from '../../src/domain/validateOccurrenceQuery.js';
import { MAX_PAGE_LIMIT } from '../../src/domain/validatePageRequest.js';
import type { EventStore, LiveState } from '../../src/log/EventStore.js';
import { MemoryProjection } from '../../src/log/MemoryProjection.js';
import type { OccurrenceRecord } from '../../src/log/projection.js';
import { readAllPages } from '../../src/log/readAllPages.js';
import { expandWaiting } from '../../src/log/waitingRecord.js';

/** A store's read model as one comparable value: the live state and every record. */
export type ProjectionView = Readonly<{ live: LiveState; records: readonly OccurrenceRecord[] }>;

type RecordSource = Pick<EventStore, 'queryRecords'>;

async function allRecords(source: RecordSource): Promise<OccurrenceRecord[]> {
  return readAllPages((cursor) =>
    source.queryRecords(parseOccurrenceQuery({ limit: MAX_PAGE_LIMIT, cursor })),
  );
}

/** A live state with every record in full form (a store may hand waiting ones compact). */
function expanded(live: LiveState): LiveState {
  return { ...live, live: live.live.map((r) => ('execution' in r ? r : expandWaiting(r))) };
}

/** What the store's inline projection answers. */
export async function inlineView(store: EventStore): Promise<ProjectionView> {
  return { live: expanded(await store.loadLive()), records: await allRecords(store) };
}

/**
 * The reference: every entry of `store` folded from scratch into a fresh memory projection,
 * answered through the same queries.
 */
export async function rebuiltView(store: EventStore): Promise<ProjectionView> {
  const projection = new MemoryProjection();
  for await (const batch of store.read()) projection.apply(batch);
  const head = await store.head();
  const source: RecordSource = { queryRecords: async (query) => projection.queryRecords(query) };
  return { live: expanded(projection.loadLive(head)), records: await allRecords(source) };
}
