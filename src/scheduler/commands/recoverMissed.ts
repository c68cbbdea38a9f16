import type { MissedState } from '../../../machines/occurrence.js';
import type { Execution, Occurrence } from '../../domain/types.js';
import type { NewEvent } from '../../log/events.js';
import { occurrenceMissed, occurrenceScheduled } from '../../log/facts.js';
import type { SchedulerTx } from '../SchedulerParts.js';
import { linkEvents } from './followUp.js';
import { isScheduling, planningOf } from './lookups.js';
import { plan } from './plan.js';

/**
 * Records occurrences as missed, then schedules what the recovery service returns. A missed
 * occurrence whose actor still waits (its timer never woke: a sleep, a pause) is told
 * `MISSED`, so its actor ends in the state the log gives it.
 */
export async function recoverMissed(
  tx: SchedulerTx,
  missed: readonly Occurrence[],
  nowMs: number,
): Promise<void> {
  const parts = tx.parts;
  const { actors, log } = parts;
  const model = log.model;
  // Told before the append, so no timer of theirs fires meanwhile; each actor's own record
  // of the miss then queues behind this command and finds it recorded.
  for (const occ of missed) actors.missed(occ.id, nowMs - Date.parse(occ.scheduledFor));
  await log.append(missed.map((occ) => occurrenceMissed(occ, nowMs)));
  const { graceMs, recoveryService } = parts.options;
  const executions = new Map(model.listExecutions().map((e) => [e.occurrenceId, e]));
  const tasks = new Map(model.listTasks().map((t) => [t.id, t]));
  const recovered = recoveryService.recoverMissed({
    executions,
    occurrences: model.listOccurrences(),
    tasks,
    now: new Date(nowMs),
    ctx: planningOf(parts),
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
      if (!isKnown(occ.id)) events.push(occurrenceScheduled(occ));
    } else {
      if (link === 'late') {
        actors.missed(parent.id, nowMs - Date.parse(parent.scheduledFor));
        events.push(occurrenceMissed(parent, nowMs));
      }
      linked.add(parent.id);
      events.push(
        ...linkEvents(parent, occ.cause === 'retry' ? 'retry' : 'recovery', occ, isKnown),
      );
    }
    known.add(occ.id);
  }
  if (events.length > 0) await log.append(events);
  if (!isScheduling(parts.supervisor.status)) return;
  for (const occ of recovered) await plan(tx, occ);
}

/** The final state of an occurrence recorded missed: recovered, retried, or just missed. */
export function missedStateOf(execution: Execution | undefined): MissedState {
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
