import { isPlanflowError } from '../domain/errors.js';
import type { Occurrence } from '../domain/types.js';
import { type NewEvent, streams } from '../log/events.js';
import type { OccurrenceSteps } from './Arming.js';
import { type HandlerOutcome, invokeHandler } from './handlers.js';
import { idempotencyKey } from './idempotencyKey.js';
import type { ClaimResult } from './OccurrenceRunner.js';
import { outcomeBatch } from './outcomeBatch.js';
import { plan } from './planOccurrence.js';
import { markMissedAndRecover, missedStateOf } from './recovery.js';
import type { SchedulerContext } from './SchedulerContext.js';

/**
 * The steps an occurrence's actor invokes (the machine's `claimTrigger`, `runHandler`,
 * `recordOutcome`, `recordMiss`), bound to one scheduler. Claiming, recording and missing
 * are commands on the queue; running the handler is not.
 */
export function occurrenceSteps(ctx: SchedulerContext): OccurrenceSteps {
  const claim = claimBatcher(ctx);
  return {
    clock: ctx.timers,
    inspect: ctx.options.inspect,
    // An actor turns a failed effect into its `lost` state, so nobody would hear of it:
    // report it here (e.g. the store failed during a timer-driven trigger).
    claim: (occurrence, manual) => ctx.reported(claim(occurrence, manual)),
    run: (occurrence, granted) => run(ctx, occurrence, granted),
    record: (occurrence, outcome) =>
      ctx.reported(ctx.command(() => record(ctx, occurrence, outcome))),
    miss: (occurrence, lateByMs) =>
      ctx.reported(ctx.command(() => miss(ctx, occurrence, lateByMs))),
  };
}

type ClaimRequest = Readonly<{
  occurrence: Occurrence;
  manual: boolean;
  resolve: (claim: ClaimResult) => void;
  reject: (error: unknown) => void;
}>;

/**
 * Claims are decided in batches: the first claim reserves its place in the command queue at
 * once (so a trigger whose timer fired before a `pause()` call still comes first), and every
 * claim asked for until that command starts (a burst of timers in one wake-up) joins it. The
 * batch's triggers are recorded in one append: one transaction for a burst instead of one
 * each, which is what lets group commit help.
 */
function claimBatcher(
  ctx: SchedulerContext,
): (occurrence: Occurrence, manual: boolean) => Promise<ClaimResult> {
  let open: ClaimRequest[] | undefined;
  return (occurrence, manual) =>
    new Promise<ClaimResult>((resolve, reject) => {
      const request = { occurrence, manual, resolve, reject };
      if (open !== undefined) {
        open.push(request);
        return;
      }
      const batch: ClaimRequest[] = [request];
      open = batch;
      ctx
        .command(() => {
          open = undefined;
          return claimAll(ctx, batch);
        })
        .catch((error: unknown) => {
          if (open === batch) open = undefined;
          for (const r of batch) r.reject(error);
        });
    });
}

type Grant = Readonly<{ request: ClaimRequest; key: string; event: NewEvent }>;

/** Decides each claim: refused (paused/stopped), lost (not pending), missed, or granted. */
async function claimAll(ctx: SchedulerContext, batch: readonly ClaimRequest[]): Promise<void> {
  const status = ctx.supervisor.status;
  const model = ctx.model();
  const now = ctx.timers.now();
  const grants: Grant[] = [];
  const missed: ClaimRequest[] = [];
  const seen = new Set<string>();
  for (const request of batch) {
    const { occurrence, manual } = request;
    if (status === 'stopped' || (!manual && status !== 'running')) {
      request.resolve({ kind: 'refused' });
      continue;
    }
    const execution = model.getExecution(occurrence.id);
    if (
      seen.has(occurrence.id) ||
      execution === undefined ||
      execution.triggered ||
      execution.state !== 'scheduled'
    ) {
      request.resolve({ kind: 'lost' });
      continue;
    }
    seen.add(occurrence.id);
    const lateByMs = Math.max(0, now - Date.parse(occurrence.scheduledFor));
    if (!manual && lateByMs > ctx.options.graceMs) {
      missed.push(request);
      continue;
    }
    const key = idempotencyKey(occurrence, (id) => model.getOccurrence(id));
    grants.push({ request, key, event: triggeredEvent(occurrence, key, lateByMs, manual) });
  }
  if (grants.length > 0) await recordGrants(ctx, grants);
  if (missed.length > 0) {
    await markMissedAndRecover(
      ctx,
      missed.map((r) => r.occurrence),
      now,
    );
    for (const request of missed) {
      const state = missedStateOf(model.getExecution(request.occurrence.id));
      request.resolve({ kind: 'missed', state });
    }
  }
}

/**
 * Appends the granted triggers in one batch. If the store refuses it because another writer
 * triggered one of them first, each is tried on its own so that only that one is lost.
 */
async function recordGrants(ctx: SchedulerContext, grants: readonly Grant[]): Promise<void> {
  try {
    await ctx.append(grants.map((g) => g.event));
    for (const g of grants) g.request.resolve({ kind: 'granted', idempotencyKey: g.key });
    return;
  } catch (error) {
    if (!isPlanflowError(error, 'planflow:already-triggered')) throw error;
  }
  for (const g of grants) {
    try {
      await ctx.append([g.event]);
      g.request.resolve({ kind: 'granted', idempotencyKey: g.key });
    } catch (error) {
      if (!isPlanflowError(error, 'planflow:already-triggered')) throw error;
      g.request.resolve({ kind: 'lost' });
    }
  }
}

function triggeredEvent(
  occurrence: Occurrence,
  key: string,
  lateByMs: number,
  manual: boolean,
): NewEvent {
  return {
    type: 'occurrence.triggered',
    stream: streams.occurrence(occurrence.id),
    data: {
      occurrenceId: occurrence.id,
      attempt: occurrence.attempt,
      idempotencyKey: key,
      lateByMs,
      ...(manual ? { manual: true } : {}),
    },
  };
}

/** Runs the handler (outside the command queue); never rejects. */
function run(
  ctx: SchedulerContext,
  occurrence: Occurrence,
  granted: ClaimResult & { kind: 'granted' },
): Promise<HandlerOutcome> {
  const task = ctx.model().getTask(occurrence.taskId);
  const name = task?.handler;
  const handler = name === undefined ? undefined : ctx.options.handlers[name];
  let running: Promise<HandlerOutcome>;
  if (task === undefined) {
    running = Promise.resolve({ ok: true, durationMs: 0 });
  } else if (name !== undefined && handler === undefined) {
    running = Promise.resolve({
      ok: false,
      durationMs: 0,
      error: {
        name: 'NotFoundError',
        message: `no handler named "${name}" is registered; pass it in options.handlers`,
      },
    });
  } else if (handler === undefined) {
    running = Promise.resolve({ ok: true, durationMs: 0 });
  } else {
    running = invokeHandler(handler, occurrence, {
      clock: ctx.timers,
      task,
      attempt: occurrence.attempt,
      idempotencyKey: granted.idempotencyKey,
      signal: ctx.stopSignal.signal,
    });
  }
  ctx.runs.add(running);
  void running.finally(() => ctx.runs.delete(running));
  return running;
}

/** Records a run's outcome with its follow-up in one batch; arms the follow-up if running. */
async function record(
  ctx: SchedulerContext,
  occurrence: Occurrence,
  outcome: HandlerOutcome,
): Promise<'done' | 'failed' | 'retrying' | 'recurred'> {
  const { followUp, events } = outcomeBatch(ctx, occurrence, outcome);
  await ctx.append(events);
  if (followUp.kind === 'none') return outcome.ok ? 'done' : 'failed';
  if (ctx.supervisor.status === 'running') await plan(ctx, followUp.occurrence);
  return followUp.kind === 'retry' ? 'retrying' : 'recurred';
}

/** An actor found its occurrence late beyond grace: record the miss and recover it. */
async function miss(
  ctx: SchedulerContext,
  occurrence: Occurrence,
  _lateByMs: number,
): Promise<'missed' | 'recovered' | 'retrying'> {
  const execution = ctx.model().getExecution(occurrence.id);
  if (execution?.state === 'scheduled' && !execution.triggered) {
    await markMissedAndRecover(ctx, [occurrence], ctx.timers.now());
  }
  return missedStateOf(ctx.model().getExecution(occurrence.id));
}
