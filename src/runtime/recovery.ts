import type { Execution, Occurrence } from '../domain/types.js';
import type { NewEvent } from '../log/events.js';
import { linkEvents } from './followUps.js';
import { splitMissed } from './missedCheck.js';
import { interruptedBatch } from './outcomeBatch.js';
import { plan } from './planOccurrence.js';
import { missedEvent, scheduledEvent } from './runtimeEvents.js';
import type { SchedulerContext } from './SchedulerContext.js';

// Recovery: what becomes of occurrences that did not run as planned — found late by the
// missed check (or by their own actor), or interrupted mid-run by a crash. Every function
// here runs within the command queue.

/** The missed check: returns the claims of the occurrences triggered late within grace. */
export async function checkMissed(ctx: SchedulerContext): Promise<Promise<unknown>[]> {
  if (ctx.supervisor.status !== 'running') return [];
  const model = ctx.model();
  const nowMs = ctx.timers.now();
  const { lateWithinGrace, beyondGrace } = splitMissed(
    model.listExecutions({ state: 'scheduled' }),
    (id) => model.getOccurrence(id),
    nowMs,
    ctx.options.graceMs,
    (id) => ctx.arming.isTriggering(id),
  );
  const claims = lateWithinGrace.map((occ) => {
    ctx.arming.disarm(occ.id);
    return ctx.arming.spawn(occ, { manual: false });
  });
  if (beyondGrace.length > 0) await markMissedAndRecover(ctx, beyondGrace, nowMs);
  return claims;
}

/** Records occurrences as missed, then schedules what the recovery service returns. */
export async function markMissedAndRecover(
  ctx: SchedulerContext,
  missed: readonly Occurrence[],
  nowMs: number,
): Promise<void> {
  for (const occ of missed) ctx.arming.disarm(occ.id);
  await ctx.append(missed.map((occ) => missedEvent(occ, nowMs)));
  const model = ctx.model();
  const { graceMs, recoveryService } = ctx.options;
  const executions = new Map(model.listExecutions().map((e) => [e.occurrenceId, e]));
  const tasks = new Map(model.listTasks().map((t) => [t.id, t]));
  const recovered = recoveryService.recoverMissed({
    executions,
    occurrences: model.listOccurrences(),
    tasks,
    now: new Date(nowMs),
    ctx: ctx.planning(),
  });
  const events: NewEvent[] = [];
  const known = new Set<string>();
  const linked = new Set<string>();
  const isKnown = (id: string) => known.has(id) || model.getOccurrence(id) !== undefined;
  for (const occ of recovered) {
    const parent = occ.parentId === undefined ? undefined : model.getOccurrence(occ.parentId);
    // Recovery sees every occurrence, so it may replace one this check did not record as
    // missed (its actor is still claiming, or its timer has not woken yet): record that miss
    // first. A link to an occurrence that ran, or was already followed up, is not followed.
    const link =
      parent === undefined || linked.has(parent.id)
        ? undefined
        : recoveryLink(model.getExecution(parent.id), nowMs, graceMs);
    if (parent === undefined || link === undefined) {
      if (!isKnown(occ.id)) events.push(scheduledEvent(occ));
    } else {
      if (link === 'late') {
        ctx.arming.disarm(parent.id);
        events.push(missedEvent(parent, nowMs));
      }
      linked.add(parent.id);
      const kind = occ.cause === 'retry' ? 'retry' : 'recovery';
      events.push(...linkEvents(parent, { kind, occurrence: occ }, isKnown));
    }
    known.add(occ.id);
  }
  if (events.length > 0) await ctx.append(events);
  if (ctx.supervisor.status !== 'running') return;
  for (const occ of recovered) await plan(ctx, occ);
}

/**
 * Occurrences recorded as triggered whose handler is not running in this process were
 * interrupted (the process died mid-run): each is recorded as failed and retried per its
 * task's policy. The retry presents the same idempotency key, so the handler can tell a
 * re-run of work that may already have happened.
 */
export async function recoverInterrupted(ctx: SchedulerContext): Promise<void> {
  const model = ctx.model();
  for (const execution of model.listExecutions({ state: 'triggered' })) {
    if (ctx.arming.hasActor(execution.occurrenceId)) continue;
    const occurrence = model.getOccurrence(execution.occurrenceId)!;
    await ctx.append(interruptedBatch(ctx, occurrence).events);
  }
}

/** The final state of an occurrence recorded missed: recovered, retried, or just missed. */
export function missedStateOf(
  execution: Execution | undefined,
): 'missed' | 'recovered' | 'retrying' {
  const state = execution?.state;
  return state === 'recovered' || state === 'retrying' ? state : 'missed';
}

/**
 * Whether a recovered occurrence may be recorded as following up `parent`: it was recorded
 * missed (`'missed'`), or is still waiting and late beyond grace, so its miss is recorded with
 * the link (`'late'`). Anything else (it ran, was cancelled, or already has a follow-up) is
 * not linked, so its record stays true.
 */
function recoveryLink(
  parent: Execution | undefined,
  nowMs: number,
  graceMs: number,
): 'missed' | 'late' | undefined {
  if (parent === undefined || parent.triggered || parent.followUpId !== undefined) return;
  if (parent.state === 'missed') return 'missed';
  const lateByMs = nowMs - Date.parse(parent.scheduledFor);
  return parent.state === 'scheduled' && lateByMs > graceMs ? 'late' : undefined;
}
