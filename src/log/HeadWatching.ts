import type { EventStore } from './EventStore.js';

/**
 * A store that hears appends other writers commit to the same log (PostgreSQL: LISTEN/NOTIFY
 * on the schema's channel). `EventLog` subscribes when its store has it and reads the new
 * entries in (`catchUp`), the seam through which it already folds entries it did not append.
 */
export interface HeadWatching {
  /**
   * Calls `listener` with the head's sequence number after each commit to the log, by any
   * writer (this store's own included). Returns the function that unsubscribes.
   */
  watchHead(listener: (seq: number) => void): () => void;
}

/** True when `store` can tell of others' appends. */
export function watchesHead(store: EventStore): store is EventStore & HeadWatching {
  return typeof (store as Partial<HeadWatching>).watchHead === 'function';
}
