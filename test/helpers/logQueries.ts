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

/**
 * One occurrence's legal histories, as a pattern over its event types: scheduled (again any
 * number of times), then either skipped, cancelled, missed (possibly followed up), or
 * triggered with at most one outcome (possibly followed up).
 */
const LIFECYCLE = /^S+(|K|C|M[RV]?|T(|DY?|F[RY]?))$/;
const LETTER: Partial<Record<PlanflowEventType, string>> = {
  'occurrence.scheduled': 'S',
  'occurrence.skipped': 'K',
  'occurrence.cancelled': 'C',
  'occurrence.missed': 'M',
  'occurrence.triggered': 'T',
  'occurrence.completed': 'D',
  'occurrence.failed': 'F',
  'occurrence.retried': 'R',
  'occurrence.recurred': 'Y',
  'occurrence.recovered': 'V',
};

/** Occurrences whose recorded history is not a legal lifecycle, with that history. */
export function illegalLifecycles(events: readonly StoredEvent[]): string[] {
  const histories = new Map<string, string>();
  for (const event of events) {
    const id = occurrenceOf(event);
    const letter = LETTER[event.type];
    if (id === undefined || letter === undefined) continue;
    histories.set(id, (histories.get(id) ?? '') + letter);
  }
  return [...histories].filter(([, h]) => !LIFECYCLE.test(h)).map(([id, h]) => `${id}: ${h}`);
}

/**
 * Timer-driven triggers that break the timing rules: fired before their time, later than
 * `graceMs` (those must be recorded missed instead), or while the scheduler was paused.
 */
export function badlyTimedTriggers(events: readonly StoredEvent[], graceMs: number): string[] {
  const due = new Map<string, number>();
  const bad: string[] = [];
  let paused = false;
  for (const event of events) {
    if (event.type === 'scheduler.paused') paused = true;
    if (event.type === 'scheduler.started') paused = false;
    if (event.type === 'occurrence.scheduled') {
      due.set(event.data.occurrence.id, Date.parse(event.data.occurrence.scheduledFor));
    }
    if (event.type !== 'occurrence.triggered' || event.data.manual === true) continue;
    const late = Date.parse(event.time) - (due.get(event.data.occurrenceId) ?? Number.NaN);
    if (!(late >= 0 && late <= graceMs) || late !== event.data.lateByMs || paused) {
      bad.push(`#${event.seq} ${event.data.occurrenceId} late ${late} ms, paused ${paused}`);
    }
  }
  return bad;
}
