import { dueTimes } from '../lib/dueTimes.js';
import type { ChildOutput, JobParams } from '../lib/job.js';
import { latencySummary } from '../lib/stats.js';
import { loadTimerSubject } from '../subjects/timerSubjects.js';

/**
 * Fire: `n` occurrences due over `windowMs`, the first `leadMs` after arming starts. Lateness
 * is the callback's (or handler's) entry time minus the due time, in ms. The lead must cover
 * the subject's arming (`slowLeadMs` for the subjects named in `slowArming`, whose arming of
 * 10 000 takes seconds); a run that armed too slowly says so in its notes.
 */
export async function runFire(subjectName: string, params: JobParams): Promise<ChildOutput> {
  const n = Number(params.n);
  const windowMs = Number(params.windowMs);
  const slow = String(params.slowArming).split(',').includes(subjectName);
  const leadMs = Number(slow ? params.slowLeadMs : params.leadMs);
  const first = Date.now() + leadMs;
  const dues = dueTimes(n, first, windowMs, 'ascending');
  const lateness = new Float64Array(n);
  let fired = 0;
  let allFired: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allFired = resolve;
  });
  const onFire = (lateMs: number): void => {
    if (fired < n) lateness[fired] = lateMs;
    fired++;
    if (fired === n) allFired();
  };
  const subject = await loadTimerSubject(subjectName);
  const armed = await subject.setup(dues, onFire);
  const armStarted = Date.now();
  await armed.arm();
  const armedAt = Date.now();
  const notes: string[] = [];
  if (armedAt > first) notes.push(`arming ended ${armedAt - first} ms after the first due time`);
  const deadline = first + windowMs + 30_000;
  let timedOut = false;
  await Promise.race([
    done,
    new Promise<void>((resolve) =>
      setTimeout(() => {
        timedOut = true;
        resolve();
      }, deadline - Date.now()).unref(),
    ),
  ]);
  if (timedOut) notes.push(`only ${fired} of ${n} fired within 30 s after the window`);
  if (fired > n) notes.push(`${fired - n} extra firings`);
  await armed.dispose();
  const summary = latencySummary(lateness.subarray(0, Math.min(fired, n)));
  return { metrics: { ...summary, fired: Math.min(fired, n), armMs: armedAt - armStarted }, notes };
}
