import { isPlanflowError } from '../domain/errors.js';
import type { Occurrence } from '../domain/types.js';
import { streams } from '../log/events.js';
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
  return {
    clock: ctx.timers,
    inspect: ctx.options.inspect,
    // An actor turns a failed effect into its `lost` state, so nobody would hear of it:
    // report it here (e.g. the store failed during a timer-driven trigger).
    claim: (occurrence, manual) => ctx.reported(ctx.command(() => claim(ctx, occurrence, manual))),
    run: (occurrence, granted) => run(ctx, occurrence, granted),
    record: (occurrence, outcome) =>
      ctx.reported(ctx.command(() => record(ctx, occurrence, outcome))),
    miss: (occurrence, lateByMs) =>
      ctx.reported(ctx.command(() => miss(ctx, occurrence, lateByMs))),
  };
}

/** Decides whether an occurrence's actor may trigger, and records the trigger if so. */
async function claim(
  ctx: SchedulerContext,
  occurrence: Occurrence,
  manual: boolean,
): Promise<ClaimResult> {
  const status = ctx.supervisor.status;
  if (status === 'stopped' || (!manual && status !== 'running')) return { kind: 'refused' };
  const model = ctx.model();
  const execution = model.getExecution(occurrence.id);
  if (execution === undefined || execution.triggered || execution.state !== 'scheduled') {
    return { kind: 'lost' };
  }
  const now = ctx.timers.now();
  const lateByMs = Math.max(0, now - Date.parse(occurrence.scheduledFor));
  if (!manual && lateByMs > ctx.options.graceMs) {
    await markMissedAndRecover(ctx, [occurrence], now);
    return { kind: 'missed', state: missedStateOf(model.getExecution(occurrence.id)) };
  }
  const key = idempotencyKey(occurrence, (id) => model.getOccurrence(id));
  try {
    await ctx.append([
      {
        type: 'occurrence.triggered',
        stream: streams.occurrence(occurrence.id),
        data: {
          occurrenceId: occurrence.id,
          attempt: occurrence.attempt,
          idempotencyKey: key,
          lateByMs,
          ...(manual ? { manual: true } : {}),
        },
      },
    ]);
  } catch (error) {
    if (isPlanflowError(error, 'planflow:already-triggered')) return { kind: 'lost' };
    throw error;
  }
  return { kind: 'granted', idempotencyKey: key };
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
