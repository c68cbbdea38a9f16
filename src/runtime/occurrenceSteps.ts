import { isPlanflowError } from '../domain/errors.js';
import type { Occurrence } from '../domain/types.js';
import { type NewEvent, streams } from '../log/events.js';
import { isWaiting } from '../log/ReadModel.js';
import type { OccurrenceSteps } from './Arming.js';
import { commandBatcher, type Pending } from './commandBatcher.js';
import { type HandlerOutcome, invokeHandler } from './handlers.js';
import { idempotencyKey } from './idempotencyKey.js';
import type { ClaimResult } from './OccurrenceRunner.js';
import { outcomeBatch } from './outcomeBatch.js';
import { plan } from './planOccurrence.js';
import { RunGate } from './RunGate.js';
import { markMissedAndRecover, missedStateOf } from './recovery.js';
import type { SchedulerContext } from './SchedulerContext.js';

/**
 * The steps an occurrence's actor invokes (the machine's `claimTrigger`, `runHandler`,
 * `recordOutcome`, `recordMiss`), bound to one scheduler. Claiming, recording and missing
 * are commands on the queue; running the handler is not.
 */
export function occurrenceSteps(ctx: SchedulerContext): OccurrenceSteps {
  // Claims and outcomes are decided in batches (see commandBatcher): a burst of occurrences
  // due together costs one append for its triggers and one for its plain outcomes.
  const claim = commandBatcher(ctx, (batch: readonly ClaimRequest[]) => claimAll(ctx, batch));
  const record = commandBatcher(ctx, (batch: readonly RecordRequest[]) => recordAll(ctx, batch));
  const gate = new RunGate(); // one handler execution per idempotency key at a time
  return {
    clock: ctx.timers,
    inspect: ctx.inspect,
    // An actor turns a failed effect into its `lost` state, so nobody would hear of it:
    // report it here (e.g. the store failed during a timer-driven trigger).
    claim: (occurrence, manual) => ctx.reported(claim({ occurrence, manual })),
    run: (occurrence, granted) => run(ctx, occurrence, granted, gate),
    record: (occurrence, outcome) => ctx.reported(record({ occurrence, outcome })),
    miss: (occurrence, lateByMs) =>
      ctx.reported(ctx.command(() => miss(ctx, occurrence, lateByMs))),
  };
}

type ClaimRequest = Pending<Readonly<{ occurrence: Occurrence; manual: boolean }>, ClaimResult>;

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
    const { occurrence, manual } = request.input;
    if (status === 'stopped' || (!manual && status !== 'running')) {
      request.resolve({ kind: 'refused' });
      continue;
    }
    const execution = model.getExecution(occurrence.id);
    if (seen.has(occurrence.id) || execution === undefined || !isWaiting(execution)) {
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
      missed.map((r) => r.input.occurrence),
      now,
    );
    for (const request of missed) {
      const state = missedStateOf(model.getExecution(request.input.occurrence.id));
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
  gate: RunGate,
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
      gate,
    });
  }
  ctx.runs.add(running);
  const forget = () => ctx.runs.delete(running); // both ways: a derived promise must not reject
  running.then(forget, forget);
  return running;
}

type Recorded = 'done' | 'failed' | 'retrying' | 'recurred';
type RecordRequest = Pending<
  Readonly<{ occurrence: Occurrence; outcome: HandlerOutcome }>,
  Recorded
>;

/**
 * Records each run's outcome with its follow-up (one atomic batch per run) and arms the
 * follow-up if running. Outcomes that plan nothing further are held and appended together;
 * one that plans a follow-up first flushes them, then appends and plans on its own, so
 * every plan sees the calendar as recorded so far.
 */
async function recordAll(ctx: SchedulerContext, batch: readonly RecordRequest[]): Promise<void> {
  const held: { events: NewEvent[]; answers: (() => void)[] } = { events: [], answers: [] };
  const flush = async () => {
    if (held.events.length === 0) return;
    const events = held.events.splice(0);
    const answers = held.answers.splice(0);
    await ctx.append(events);
    for (const answer of answers) answer();
  };
  for (const request of batch) {
    const { occurrence, outcome } = request.input;
    const { followUp, events } = outcomeBatch(ctx, occurrence, outcome);
    if (followUp.kind === 'none') {
      held.events.push(...events);
      held.answers.push(() => request.resolve(outcome.ok ? 'done' : 'failed'));
      continue;
    }
    await flush();
    await ctx.append(events);
    if (ctx.supervisor.status === 'running') await plan(ctx, followUp.occurrence);
    request.resolve(followUp.kind === 'retry' ? 'retrying' : 'recurred');
  }
  await flush();
}

/** An actor found its occurrence late beyond grace: record the miss and recover it. */
async function miss(
  ctx: SchedulerContext,
  occurrence: Occurrence,
  _lateByMs: number,
): Promise<'missed' | 'recovered' | 'retrying'> {
  const execution = ctx.model().getExecution(occurrence.id);
  if (execution !== undefined && isWaiting(execution)) {
    await markMissedAndRecover(ctx, [occurrence], ctx.timers.now());
  }
  return missedStateOf(ctx.model().getExecution(occurrence.id));
}
