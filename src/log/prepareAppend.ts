import { nanoid } from 'nanoid';
import { ValidationError } from '../domain/errors.js';
import type { IsoInstant } from '../domain/types.js';
import type { LogHead, StoreClock } from './EventStore.js';
import { toIso } from './EventStore.js';
import { type NewEvent, SCHEMA_VERSION, type StoredEvent } from './events.js';
import { entryHash } from './hashChain.js';

/**
 * The steps every store takes before writing: check and serialise the caller's events once
 * (so the text that is hashed is the text that is stored), then assign seq, id, time and the
 * hash chain in log order. Stores differ only in where the head comes from and where the
 * entries go.
 */

/** The one event type the storage allows once per stream. */
export const TRIGGERED = 'occurrence.triggered';

/** The event type only an archive run records: its range leaves the live log. */
const ARCHIVED = 'log.archived';

/** A caller's event, checked and serialised; nothing store-assigned yet. */
export type DraftEvent = Readonly<{ type: string; stream: string; dataJson: string }>;

/** An entry with every field assigned; `dataJson` is exactly the text its hash covers. */
export type SealedEntry = Readonly<{
  seq: number;
  id: string;
  type: string;
  time: IsoInstant;
  stream: string;
  schemaVersion: number;
  prevHash: string;
  hash: string;
  dataJson: string;
}>;

const isNonEmptyString = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0;

/**
 * Validates a batch and serialises each payload. Serialising here, at call time, is what
 * isolates the log from later mutation of the caller's objects.
 */
export function draftEvents(component: string, events: readonly NewEvent[]): DraftEvent[] {
  if (!Array.isArray(events)) {
    throw new ValidationError(
      'planflow:invalid-input',
      'events',
      `${component}: append() takes an array of events, got ${typeof events}`,
    );
  }
  return events.map((event: NewEvent, index) => {
    const where = `events[${index}]`;
    if (typeof event !== 'object' || event === null) {
      throw new ValidationError(
        'planflow:invalid-input',
        where,
        `${component}: ${where} must be an object { type, stream, data }, got ${String(event)}`,
      );
    }
    if (!isNonEmptyString(event.type)) {
      throw new ValidationError(
        'planflow:invalid-input',
        `${where}.type`,
        `${component}: ${where}.type must be a non-empty event type such as "occurrence.triggered", got ${JSON.stringify(event.type)}`,
      );
    }
    if (!isNonEmptyString(event.stream)) {
      throw new ValidationError(
        'planflow:invalid-input',
        `${where}.stream`,
        `${component}: ${where}.stream must be a non-empty stream name such as "occurrence:<id>", got ${JSON.stringify(event.stream)}`,
      );
    }
    if (event.type === ARCHIVED) {
      throw new ValidationError(
        'planflow:invalid-input',
        `${where}.type`,
        `${component}: ${where}.type "${ARCHIVED}" is recorded by the store's archive run only (store.archive()); it cannot be appended`,
      );
    }
    const data: unknown = event.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new ValidationError(
        'planflow:invalid-input',
        `${where}.data`,
        `${component}: ${where}.data must be a plain JSON object, got ${Array.isArray(data) ? 'an array' : String(data)}`,
      );
    }
    let dataJson: string | undefined;
    try {
      dataJson = JSON.stringify(data);
    } catch (error) {
      throw new ValidationError(
        'planflow:invalid-input',
        `${where}.data`,
        `${component}: ${where}.data must be JSON-serialisable (no cycles, no BigInt): ${(error as Error).message}`,
      );
    }
    if (typeof dataJson !== 'string' || !dataJson.startsWith('{')) {
      throw new ValidationError(
        'planflow:invalid-input',
        `${where}.data`,
        `${component}: ${where}.data must serialise to a JSON object; its toJSON() returned something else`,
      );
    }
    return { type: event.type, stream: event.stream, dataJson };
  });
}

/**
 * The stream of the first `occurrence.triggered` that repeats within the batch itself, so
 * stores can reject such a batch before touching storage.
 */
export function repeatedTriggerInBatch(drafts: readonly DraftEvent[]): string | undefined {
  let seen: Set<string> | undefined;
  for (const draft of drafts) {
    if (draft.type !== TRIGGERED) continue;
    seen ??= new Set();
    if (seen.has(draft.stream)) return draft.stream;
    seen.add(draft.stream);
  }
  return undefined;
}

/** What an occurrence's state becomes after each entry that moves it, for the check below. */
const STATE_AFTER: Readonly<Record<string, string>> = {
  'occurrence.scheduled': 'scheduled',
  'occurrence.triggered': 'triggered',
  'occurrence.completed': 'done',
  'occurrence.failed': 'failed',
  'occurrence.missed': 'missed',
  'occurrence.cancelled': 'cancelled',
  'occurrence.skipped': 'skipped',
};

/** The state an outcome or a miss requires of its occurrence (as `projectEntries` checks). */
const REQUIRES: Readonly<Record<string, string>> = {
  'occurrence.completed': 'triggered',
  'occurrence.failed': 'triggered',
  'occurrence.missed': 'scheduled',
};

/**
 * The stream of the first entry of a batch that settles an occurrence no longer in the state
 * it settles (the check `projectEntries` reports as `settledAlready`), for a store that checks
 * before it folds. `stateOf` answers a stream's state as stored; entries earlier in the batch
 * are taken into account. A stream the store does not know is left to the fold (it ignores
 * entries about occurrences it never scheduled).
 */
export function settledAlreadyInBatch(
  drafts: readonly DraftEvent[],
  stateOf: (stream: string) => string | undefined,
): string | undefined {
  const moved = new Map<string, string>();
  for (const draft of drafts) {
    const after = STATE_AFTER[draft.type];
    if (after === undefined) continue;
    const state = moved.get(draft.stream) ?? stateOf(draft.stream);
    // Like the fold, entries about an occurrence never scheduled change (and check) nothing.
    if (state === undefined && draft.type !== 'occurrence.scheduled') continue;
    const required = REQUIRES[draft.type];
    if (required !== undefined && state !== required) return draft.stream;
    // Scheduling an occurrence again keeps its state, as `evolveExecution` does.
    if (draft.type === 'occurrence.scheduled') {
      moved.set(draft.stream, state ?? after);
      continue;
    }
    moved.set(draft.stream, after);
  }
  return undefined;
}

/**
 * Returns a function that reads the clock once per append (every entry of a batch carries
 * the same instant). Consecutive appends within one millisecond share one string, which
 * matters when a store keeps a million entries in memory.
 */
export function timeStamper(component: string, clock: StoreClock): () => IsoInstant {
  let lastMs = Number.NaN;
  let lastIso = '';
  return () => {
    const ms = clock.now();
    if (ms === lastMs) return lastIso;
    if (!Number.isFinite(ms)) {
      throw new ValidationError(
        'planflow:invalid-options',
        'clock',
        `${component}: clock.now() must return finite epoch milliseconds, got ${String(ms)}`,
      );
    }
    lastMs = ms;
    lastIso = toIso(ms);
    return lastIso;
  };
}

/**
 * A nanoid as a flat string. nanoid builds its result by appending one character at a time,
 * which V8 keeps as a chain of ~10 rope nodes (~330 bytes) until something flattens it;
 * re-reading it through JSON.parse yields one 48-byte string at a fraction of a microsecond.
 * The URL-safe alphabet needs no escaping inside the quotes.
 */
export function newEntryId(): string {
  return JSON.parse(`"${nanoid()}"`) as string;
}

/**
 * Assigns seq, id and hashes to a batch that follows `head`. Must run where the head is
 * authoritative (inside the store's transaction) so the chain has no forks.
 */
export function sealDrafts(
  drafts: readonly DraftEvent[],
  head: LogHead,
  time: IsoInstant,
): SealedEntry[] {
  let seq = head.seq;
  let prevHash = head.hash;
  const sealed: SealedEntry[] = new Array(drafts.length);
  for (let i = 0; i < drafts.length; i++) {
    const draft = drafts[i]!;
    seq++;
    const entry = {
      seq,
      id: newEntryId(),
      type: draft.type,
      time,
      stream: draft.stream,
      schemaVersion: SCHEMA_VERSION,
      prevHash,
      hash: '',
      dataJson: draft.dataJson,
    };
    // Filled in place: one allocation per entry on the hot append path.
    entry.hash = entryHash(entry);
    sealed[i] = entry;
    prevHash = entry.hash;
  }
  return sealed;
}

/**
 * Builds the frozen public form of an entry. The payload is supplied by the caller (parsed
 * from the stored text) so no store hands out an object it still holds mutably.
 */
export function toStoredEvent(fields: Omit<SealedEntry, 'dataJson'>, data: unknown): StoredEvent {
  return Object.freeze({
    seq: fields.seq,
    id: fields.id,
    type: fields.type,
    time: fields.time,
    stream: fields.stream,
    data,
    schemaVersion: fields.schemaVersion,
    prevHash: fields.prevHash,
    hash: fields.hash,
  }) as StoredEvent;
}
