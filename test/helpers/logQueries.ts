import type { EventStore } from '../../src/log/EventStore.js';
import type { PlanflowEventType, StoredEvent } from '../../src/log/events.js';

/** Every entry of a store, in order: the recorded truth tests assert against. */
export async function readAll(store: EventStore): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for await (const batch of store.read()) all.push(...batch);
  return all;
}

/** The occurrence an entry is about, or `undefined` for task, calendar and scheduler entries. */
export function occurrenceOf(event: StoredEvent): string | undefined {
  if (event.type === 'occurrence.scheduled') return event.data.occurrence.id;
  return 'occurrenceId' in event.data ? event.data.occurrenceId : undefined;
}

/** How many `occurrence.triggered` entries each occurrence has: the at-most-once invariant. */
export function triggerCounts(events: readonly StoredEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) {
    if (event.type !== 'occurrence.triggered') continue;
    const id = event.data.occurrenceId;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Occurrence ids triggered more than once (empty when the invariant holds). */
export function triggeredTwice(events: readonly StoredEvent[]): string[] {
  return [...triggerCounts(events)].filter(([, n]) => n > 1).map(([id]) => id);
}

/** The types of the entries about one occurrence, in log order. */
export function typesFor(events: readonly StoredEvent[], occurrenceId: string): string[] {
  return events.filter((e) => occurrenceOf(e) === occurrenceId).map((e) => e.type);
}

/** Entries of one type, narrowed. */
export function ofType<T extends PlanflowEventType>(
  events: readonly StoredEvent[],
  type: T,
): StoredEvent<T>[] {
  return events.filter((e) => e.type === type) as unknown as StoredEvent<T>[];
}
