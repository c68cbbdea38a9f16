import { ConcurrencyError, StateError, StorageError } from '../domain/errors.js';

/**
 * Errors every store raises for the same situations. Sharing the wording keeps callers'
 * logs identical whichever store they run on, and the contract suite checks the codes.
 */

/** The store was closed; the caller must open a new one (or stop using this one). */
export function storeClosedError(component: string, operation: string): StateError {
  return new StateError(
    'planflow:store-closed',
    `${component}: ${operation}() was called after close(); open a new store to keep using the log`,
  );
}

/** An `expectedSeq` append lost the race: someone appended since the caller last looked. */
export function expectedSeqError(
  component: string,
  expectedSeq: number,
  headSeq: number,
): ConcurrencyError {
  return new ConcurrencyError(
    `${component}: append expected the log's head at entry #${expectedSeq} (options.expectedSeq) but it is at #${headSeq}; read the new entries and retry with expectedSeq ${headSeq}`,
  );
}

/**
 * A second `occurrence.triggered` for one stream. Not a bug of the caller as such: it is how
 * the storage tells a writer that another one (or an earlier run) already fired this
 * occurrence, so the loser must not run the handler.
 */
export function alreadyTriggeredError(component: string, stream: string): ConcurrencyError {
  return new ConcurrencyError(
    `${component}: stream "${stream}" already has an occurrence.triggered entry; an occurrence triggers at most once, so this batch was rejected whole — do not run its handler again`,
    'planflow:already-triggered',
  );
}

/**
 * An entry that settles an occurrence another writer settled first: an outcome for a run
 * already recorded finished (in a fleet, a survivor recorded it interrupted), or a miss of one
 * that already triggered. Like a second trigger, it is how the storage tells the loser that
 * the log already says how this occurrence ended.
 */
export function alreadySettledError(component: string, stream: string): ConcurrencyError {
  return new ConcurrencyError(
    `${component}: stream "${stream}" is no longer in the state this batch settles (another writer recorded how it ended first); the batch was rejected whole — read the occurrence's record to see what was recorded`,
    'planflow:already-settled',
  );
}

/**
 * An append to a store its owner opened for reading only. Not transient: retrying cannot
 * help until the store is opened for writing.
 */
export function readOnlyStoreError(component: string, path: string): StorageError {
  return new StorageError(
    'planflow:storage-read-only',
    `${component}: cannot append to "${path}": the store was opened with readOnly: true; open it without readOnly to write`,
    { path },
  );
}
