import type { EventStore } from '../../src/log/EventStore.js';

/**
 * Every method of `inner`, bound to it: the base of a test wrapper that changes one method
 * (`{ ...forwardStore(inner), append: … }`) and passes the rest straight through.
 */
export function forwardStore(inner: EventStore): EventStore {
  return {
    append: (events, options) => inner.append(events, options),
    read: (options) => inner.read(options),
    head: () => inner.head(),
    close: () => inner.close(),
    loadLive: () => inner.loadLive(),
    getRecord: (id) => inner.getRecord(id),
    queryRecords: (query) => inner.queryRecords(query),
    queryHistory: (query) => inner.queryHistory(query),
    placesSince: (sinceMs) => inner.placesSince(sinceMs),
  };
}
