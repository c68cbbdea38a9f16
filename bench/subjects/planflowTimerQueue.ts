import { TimerQueue } from '../../src/time/TimerQueue.js';
import { wallNow } from '../lib/clock.js';
import type { TimerSubject } from './timerSubject.js';

/**
 * PlanFlow's `TimerQueue` alone (one real timer over a heap), keyed by an occurrence-like id as
 * the scheduler keys it. Not a product-level figure: it shows how much of the scheduler's cost
 * is the timer itself and how much is the log and the read model.
 */
export const planflowTimerQueue: TimerSubject = {
  async setup(dues, onFire) {
    const queue = new TimerQueue();
    const keys = Array.from(dues, (_, i) => `occ-${i.toString(36).padStart(8, '0')}`);
    return {
      async arm() {
        for (let i = 0; i < dues.length; i++) {
          const due = dues[i]!;
          queue.schedule(due, () => onFire(wallNow() - due), keys[i]);
        }
      },
      pending: () => queue.size,
      async dispose() {
        queue.dispose();
      },
    };
  },
};
