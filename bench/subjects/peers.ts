import { Cron } from 'croner';
import schedule from 'node-schedule';
import { SimpleIntervalJob, Task, ToadScheduler } from 'toad-scheduler';
import { wallNow } from '../lib/clock.js';
import type { TimerSubject } from './timerSubject.js';

/**
 * The peers, each used the way its documentation shows for "run this once at that time".
 * Every callback is a fresh closure over its due time, as PlanFlow's entries are, and the
 * lateness is taken first thing on entry.
 */

/** Plain `setTimeout` with the delay computed at arm time: the floor any scheduler pays. */
export const plainSetTimeout: TimerSubject = {
  async setup(dues, onFire) {
    const handles: NodeJS.Timeout[] = [];
    return {
      async arm() {
        for (const due of dues) {
          handles.push(setTimeout(() => onFire(wallNow() - due), due - Date.now()));
        }
      },
      pending: () => handles.length,
      async dispose() {
        for (const h of handles) clearTimeout(h);
      },
    };
  },
};

/** node-schedule 2: `scheduleJob(date, fn)`, a one-off Date job. */
export const nodeSchedule: TimerSubject = {
  async setup(dues, onFire) {
    const dates = Array.from(dues, (d) => new Date(d));
    return {
      async arm() {
        for (const date of dates) {
          const due = date.getTime();
          schedule.scheduleJob(date, () => onFire(wallNow() - due));
        }
      },
      pending: () => Object.keys(schedule.scheduledJobs).length,
      async dispose() {
        await schedule.gracefulShutdown();
      },
    };
  },
};

/** croner 11: `new Cron(date, fn)`, a one-off Date job. */
export const croner: TimerSubject = {
  async setup(dues, onFire) {
    const dates = Array.from(dues, (d) => new Date(d));
    const jobs: Cron[] = [];
    return {
      async arm() {
        for (const date of dates) {
          const due = date.getTime();
          jobs.push(new Cron(date, () => onFire(wallNow() - due)));
        }
      },
      pending: () => jobs.length,
      async dispose() {
        for (const job of jobs) job.stop();
      },
    };
  },
};

/**
 * toad-scheduler 4 has no "once at a date" job: the nearest is a `SimpleIntervalJob` whose
 * interval is the delay, stopped by its own first run. (Its `setInterval` re-arms after each
 * run, so a job that is not stopped would fire again; stopping costs one `clearInterval`.)
 */
export const toadScheduler: TimerSubject = {
  async setup(dues, onFire) {
    const scheduler = new ToadScheduler();
    const dueList = Array.from(dues);
    return {
      async arm() {
        for (const due of dueList) {
          const job: SimpleIntervalJob = new SimpleIntervalJob(
            { milliseconds: Math.max(1, due - Date.now()) },
            new Task('once', () => {
              onFire(wallNow() - due);
              job.stop();
            }),
          );
          scheduler.addSimpleIntervalJob(job);
        }
      },
      pending: () => undefined,
      async dispose() {
        scheduler.stop();
      },
    };
  },
};
