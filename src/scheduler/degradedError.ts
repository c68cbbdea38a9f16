import { toErrorRecord } from '../domain/errorRecord.js';
import { DegradedError } from '../domain/errors.js';
import type { WriteRetry } from './schedulerOptions.js';

/**
 * The error a degraded period is reported with (once, when it begins) and that `triggerNow`
 * throws when its trigger could not be recorded; `cause` is the store's own error. With
 * `stopping`, the error `stop()` reports when the store refused its last writes.
 */
export function degradedError(
  cause: unknown,
  retry: WriteRetry,
  stopping?: Readonly<{ unrecorded: number }>,
): DegradedError {
  const why = toErrorRecord(cause).message;
  if (stopping !== undefined) {
    const runs = stopping.unrecorded > 0 ? ` and ${stopping.unrecorded} run outcome(s)` : '';
    return new DegradedError(
      `SmartScheduler.stop: the store refused the last writes (${why}); scheduler.stopped${runs} could not be recorded. Everything was released; the next start records the runs left without an outcome as interrupted and retries them per policy`,
      { cause },
    );
  }
  return new DegradedError(
    `SmartScheduler: the store refused a write (${why}); the scheduler is degraded: it triggers nothing by time and retries the store after ${retry.initialMs} ms, doubling up to every ${retry.maxMs / 1000} s, then records scheduler.degraded and resumes every series. Free disk space or restore the store; scheduler.status is 'running' again once it recovers`,
    { cause },
  );
}
