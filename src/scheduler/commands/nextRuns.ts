import { isCatchUpRun } from '../../domain/isCatchUpRun.js';
import type { Occurrence } from '../../domain/types.js';
import type { NextRunsRequest } from '../../domain/validateNextRuns.js';
import { upcomingOccurrences } from '../../planning/upcomingOccurrences.js';
import type { SchedulerTx } from '../SchedulerParts.js';
import { adoptTask } from './adoptTask.js';
import { planningOf, requireTask } from './lookups.js';

/**
 * The task's upcoming occurrences as the planners would place them, recording and arming
 * nothing. From the task's next pending occurrence (the earliest one that carries its
 * series) and its recurrence after it; with `fromMs`, from the first occurrence at or after
 * that instant instead. A task without a recurrence lists its pending run, if any.
 */
export async function nextRuns(
  tx: SchedulerTx,
  taskId: string,
  request: NextRunsRequest,
): Promise<Occurrence[]> {
  const parts = tx.parts;
  const task = requireTask(parts, taskId, 'nextRuns');
  await adoptTask(tx, taskId);
  const model = parts.log.model;
  const scheduler = parts.options.taskScheduler;
  const planning = planningOf(parts);
  const nowMs = parts.timers.now();
  const pending = model
    .waitingOf(taskId)
    // Manual, catch-up and backfill runs do not carry the series.
    .filter((e) => e.cause !== 'manual' && !isCatchUpRun(e))
    .sort((a, b) => Date.parse(a.scheduledFor) - Date.parse(b.scheduledFor))
    .map((e) => model.getOccurrence(e.occurrenceId))
    .filter((o) => o !== undefined);
  const { fromMs } = request;
  let first: Occurrence | undefined;
  if (fromMs === undefined) {
    first =
      pending[0] ??
      (task.recurrence === undefined
        ? undefined
        : scheduler.nextOccurrence(task, new Date(nowMs - 1), planning));
  } else if (task.recurrence !== undefined || task.pinnedTime !== undefined) {
    first = scheduler.nextOccurrence(task, new Date(fromMs - 1), planning);
  } else {
    first = pending.find((o) => Date.parse(o.scheduledFor) >= fromMs);
  }
  const runs = upcomingOccurrences(
    task,
    request.count,
    {
      first,
      notBeforeMs: fromMs ?? nowMs,
      isRecorded: (id) => model.getOccurrence(id) !== undefined,
    },
    scheduler,
    planning,
  );
  return runs;
}
