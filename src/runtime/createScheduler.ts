import { SmartScheduler } from './SmartScheduler.js';
import type { SchedulerOptions } from './schedulerOptions.js';

/**
 * Creates a scheduler over a log. It opens the log in the background (`scheduler.ready`);
 * every method waits for that by itself, so the result can be used at once.
 * @throws ValidationError for malformed options (nothing is opened or written).
 * @example
 * const scheduler = createScheduler({
 *   store: memoryStore(),
 *   calendar: { timeZone: 'Europe/Berlin' },
 *   handlers: { remind: async (occurrence, { signal }) => notify(occurrence, signal) },
 * });
 * await scheduler.defineTask({ id: 'standup', title: 'Stand-up', handler: 'remind',
 *   recurrence: { cron: '30 9 * * 1-5' }, retry: { maxRetries: 3 } });
 * await scheduler.start();
 */
export function createScheduler(options: SchedulerOptions = {}): SmartScheduler {
  return new SmartScheduler(options);
}
