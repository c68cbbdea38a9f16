import type { ErrorRecord, Occurrence, RunOutcome, Task } from '../domain/types.js';
import type { Clock } from '../time/Clock.js';

/** What a handler receives besides the occurrence. */
export type HandlerContext = Readonly<{
  task: Task;
  /** 0 for a first run, n for the nth retry. */
  attempt: number;
  /**
   * Stable for one unit of work: a first run and all of its retries (including the re-run
   * after a crash interrupted it) share the key, so a handler can make its side effects
   * idempotent by remembering keys it has completed.
   */
  idempotencyKey: string;
  /** Aborted when the per-task timeout passes or the scheduler stops. */
  signal: AbortSignal;
}>;

/**
 * User code run when an occurrence triggers. A throw, a rejection or a timeout records
 * `occurrence.failed` and leads to a retry per the task's policy; it never escapes.
 */
export type Handler = (occurrence: Occurrence, context: HandlerContext) => unknown;

/** Handlers by name; a task names its handler in `task.handler`. */
export type Handlers = Readonly<Record<string, Handler>>;

export type InvokeOptions = Readonly<{
  clock: Clock;
  task: Task;
  attempt: number;
  idempotencyKey: string;
  /** Aborted by the runtime on stop; the run then fails with an `AbortError`. */
  signal: AbortSignal;
}>;

/**
 * Runs `handler` and settles with its outcome; never rejects. A timeout (`task.timeoutMs`)
 * aborts the handler's signal and settles as failed at once, even if the handler ignores
 * its signal and never settles (its late result is dropped).
 */
export async function invokeHandler(
  handler: Handler,
  occurrence: Occurrence,
  options: InvokeOptions,
): Promise<RunOutcome> {
  const { clock, task } = options;
  const startedAt = clock.now();
  const controller = new AbortController();
  let timer: unknown;
  const onOuterAbort = () => controller.abort(abortReason('AbortError', 'the scheduler stopped'));
  if (options.signal.aborted) onOuterAbort();
  else options.signal.addEventListener('abort', onOuterAbort, { once: true });

  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(controller.signal.reason);
    if (controller.signal.aborted) fail();
    else controller.signal.addEventListener('abort', fail, { once: true });
  });
  if (task.timeoutMs !== undefined) {
    const timeoutMs = task.timeoutMs;
    timer = clock.setTimeout(
      () =>
        controller.abort(
          abortReason('TimeoutError', `handler exceeded its ${timeoutMs} ms timeout`),
        ),
      timeoutMs,
    );
  }
  try {
    await Promise.race([
      Promise.resolve().then(() =>
        handler(occurrence, {
          task,
          attempt: options.attempt,
          idempotencyKey: options.idempotencyKey,
          signal: controller.signal,
        }),
      ),
      aborted,
    ]);
    return { ok: true, durationMs: clock.now() - startedAt };
  } catch (error) {
    return { ok: false, durationMs: clock.now() - startedAt, error: toErrorRecord(error) };
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
    options.signal.removeEventListener('abort', onOuterAbort);
  }
}

function abortReason(name: 'AbortError' | 'TimeoutError', message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Turns anything thrown into a small, JSON-safe record for the log. */
export function toErrorRecord(error: unknown): ErrorRecord {
  if (error instanceof Error) {
    const record = { name: error.name || 'Error', message: error.message };
    return error.name === 'TimeoutError' ? { ...record, timedOut: true } : record;
  }
  return { name: 'Error', message: typeof error === 'string' ? error : safeString(error) };
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
