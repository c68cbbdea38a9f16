import { toErrorRecord } from '../domain/errorRecord.js';
import { OVERLAP_CANCELLED } from '../domain/overlapCancelled.js';
import type { DefaultPayload, Occurrence, RunOutcome, Task } from '../domain/types.js';
import type { Clock } from '../time/Clock.js';
import type { RunGate } from './actors/RunGate.js';
import type { RunPlaces } from './actors/RunPlaces.js';
import { RunSignal } from './actors/RunSignal.js';

/**
 * What a handler receives besides the occurrence. `P` is the payload its tasks carry: a
 * handler that declares it (`HandlerContext<{ url: string }>`) makes `defineTask` require
 * that payload of every task naming it.
 */
export type HandlerContext<P = DefaultPayload> = Readonly<{
  task: Task & Readonly<{ payload?: P }>;
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
export type Handler<P = DefaultPayload> = (
  occurrence: Occurrence,
  context: HandlerContext<P>,
) => unknown;

/**
 * Handlers by name; a task names its handler in `task.handler`. Any handler fits, whatever
 * payload it declares (`Handler<never>` is what every `Handler<P>` can be used as): the
 * payload a task gives it is checked against its declaration by `defineTask`'s type.
 */
export type Handlers = Readonly<Record<string, Handler<never>>>;

export type InvokeOptions = Readonly<{
  clock: Clock;
  task: Task;
  attempt: number;
  idempotencyKey: string;
  /**
   * Aborted by the runtime on stop (or by a newer run of an `overlap: 'cancelOther'` task);
   * the run then fails with an `AbortError` (or that run's `OverlapCancelledError`).
   */
  signal: RunSignal;
  /**
   * Holds the idempotency key while the handler executes, so that a retry never starts
   * while an abandoned run of the same key (one that outlived its timeout) still executes.
   * Without it, runs are not serialised.
   */
  gate?: RunGate;
  /**
   * The places the scheduler's `concurrency` and the task's `maxConcurrent` allow: the
   * handler is called once the run has one, and gives it back when its promise settles.
   * Without it, runs are not limited.
   */
  places?: RunPlaces | undefined;
}>;

/**
 * Runs `handler` and settles with its outcome; never rejects, whatever the handler throws or
 * returns. A timeout (`task.timeoutMs`) aborts the handler's signal and settles as failed at
 * once, even if the handler ignores its signal and never settles (its late result is
 * dropped); the run is then *abandoned*: with a `gate`, the next run with the same
 * idempotency key waits for it to settle before calling the handler, and records how long it
 * waited as `waitedForAbandonedMs`. Its `durationMs` and its own timeout count from the
 * moment the handler is called. Stopping the scheduler ends the wait with an `AbortError`,
 * without calling the handler. With `places`, the run first waits for a place (at most
 * `concurrency` executions at once, and the task's `maxConcurrent`), recorded as
 * `waitedForPlaceMs`; the place is held until the handler's own promise settles.
 */
export async function invokeHandler(
  handler: Handler<never>,
  occurrence: Occurrence,
  options: InvokeOptions,
): Promise<RunOutcome> {
  try {
    return await invoke(handler, occurrence, options);
  } catch (error) {
    // `invoke` catches whatever the handler does; only a fault of the runtime itself could
    // land here, and a run must still settle with an outcome.
    return { ok: false, durationMs: 0, error: toErrorRecord(error) };
  }
}

async function invoke(
  registered: Handler<never>,
  occurrence: Occurrence,
  options: InvokeOptions,
): Promise<RunOutcome> {
  // The task's payload is what the handler declared: defineTask's type checked it against
  // the handler map, and the log holds what defineTask accepted.
  const handler = registered as Handler;
  const { task } = options;
  const key = options.idempotencyKey;
  // Without a limit that applies, nothing is counted or awaited: the common case costs nothing.
  const place = limits(options) ? await placeFor(options) : FREE;
  if (!place.ok) return place.outcome;
  // The handler's own signal: aborted by its timeout, and with the outer one. Created only if
  // the handler reads `context.signal` (see RunSignal).
  const controller = new RunSignal();
  const context: HandlerContext = {
    task,
    attempt: options.attempt,
    idempotencyKey: key,
    get signal() {
      return controller.signal;
    },
  };
  const call = () => {
    const running = Promise.resolve().then(() => handler(occurrence, context));
    running.then(place.release, place.release);
    return running;
  };
  const outcome = await gatedRun(call, controller, options);
  if (!outcome.called) place.release();
  return place.waitedForPlaceMs === undefined
    ? outcome.outcome
    : { ...outcome.outcome, waitedForPlaceMs: place.waitedForPlaceMs };
}

/** A place for the run, or the outcome of a run that stopped waiting for one. */
type Place =
  | Readonly<{ ok: true; release: () => void; waitedForPlaceMs?: number }>
  | Readonly<{ ok: false; outcome: RunOutcome }>;

/** The place of a run no limit applies to. */
const FREE: Place = Object.freeze({ ok: true, release: () => {} });

/** Whether a limit applies to this run: the scheduler's `concurrency` or the task's own. */
function limits(options: InvokeOptions): boolean {
  const places = options.places;
  return places !== undefined && (places.limited || options.task.maxConcurrent !== undefined);
}

/** Waits for a place; `waitedForPlaceMs` when it had to wait. */
async function placeFor(options: InvokeOptions): Promise<Place> {
  const { clock, task } = options;
  const places = options.places!;
  const free = places.tryTake(task.id, task.maxConcurrent);
  if (free !== undefined) return { ok: true, release: free };
  const startedAt = clock.now();
  const release = await places.wait(task.id, task.maxConcurrent, options.signal.signal);
  const waited = clock.now() - startedAt;
  if (release === undefined) {
    return {
      ok: false,
      outcome: {
        ok: false,
        durationMs: 0,
        waitedForPlaceMs: waited,
        error: toErrorRecord(
          abortError(
            'AbortError',
            `the scheduler stopped while this run waited for a place (concurrency, maxConcurrent); the handler was not called`,
          ),
        ),
      },
    };
  }
  return { ok: true, release, waitedForPlaceMs: waited };
}

/**
 * Calls the handler through the idempotency-key gate (waiting for an abandoned run of the same
 * key first) and settles the run. `called` is false when the wait ended without calling it.
 */
async function gatedRun(
  call: () => Promise<unknown>,
  controller: RunSignal,
  options: InvokeOptions,
): Promise<Readonly<{ outcome: RunOutcome; called: boolean }>> {
  const { clock, gate } = options;
  const key = options.idempotencyKey;
  let execution = gate === undefined ? call() : gate.tryHold(key, call);
  let waitedForAbandonedMs: number | undefined;
  if (execution === undefined) {
    const waitStartedAt = clock.now();
    while (execution === undefined && gate !== undefined) {
      if (!(await gate.released(key, options.signal.signal))) {
        return {
          called: false,
          outcome: {
            ok: false,
            durationMs: 0,
            waitedForAbandonedMs: clock.now() - waitStartedAt,
            error: toErrorRecord(
              abortError(
                'AbortError',
                `the scheduler stopped while this run waited for an abandoned run of "${key}" to settle; the handler was not called`,
              ),
            ),
          },
        };
      }
      execution = gate.tryHold(key, call);
    }
    waitedForAbandonedMs = clock.now() - waitStartedAt;
  }
  const waited = waitedForAbandonedMs === undefined ? {} : { waitedForAbandonedMs };
  return { called: true, outcome: await settle(execution!, controller, options, waited) };
}

/** Races the execution against the timeout and the stop signal, and builds the outcome. */
async function settle(
  execution: Promise<unknown>,
  controller: RunSignal,
  options: InvokeOptions,
  waited: Readonly<{ waitedForAbandonedMs?: number }>,
): Promise<RunOutcome> {
  const { clock, task } = options;
  const startedAt = clock.now();
  let timer: unknown;
  // The outer signal's reason says who aborted: the scheduler stopping, or a newer run of an
  // `overlap: 'cancelOther'` task.
  const onOuterAbort = () => {
    const reason: unknown = options.signal.reason;
    controller.abort(
      reason instanceof Error && reason.name === OVERLAP_CANCELLED
        ? reason
        : abortError('AbortError', 'the scheduler stopped'),
    );
  };
  const forgetOuter = options.signal.onAbort(onOuterAbort);
  // The execution, or its abort: whichever comes first settles the run.
  const ended = new Promise<unknown>((resolve, reject) => {
    execution.then(resolve, reject);
    controller.onAbort(() => reject(controller.reason));
  });
  if (task.timeoutMs !== undefined) {
    const timeoutMs = task.timeoutMs;
    timer = clock.setTimeout(
      () =>
        controller.abort(
          abortError('TimeoutError', `handler exceeded its ${timeoutMs} ms timeout`),
        ),
      timeoutMs,
    );
  }
  try {
    await ended;
    return { ok: true, durationMs: clock.now() - startedAt, ...waited };
  } catch (error) {
    return {
      ok: false,
      durationMs: clock.now() - startedAt,
      error: toErrorRecord(error),
      ...waited,
    };
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
    forgetOuter();
  }
}

function abortError(name: 'AbortError' | 'TimeoutError', message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
