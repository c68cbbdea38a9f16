/**
 * `planflow/testing`: controlled time for tests of PlanFlow itself and of users' schedules.
 */
export { type FakeTimersLike, fakeTimersClock } from './fakeTimersClock.js';
export { settleMacrotask, settleMicrotasks } from './settle.js';
export { settleStoreWork, trackStoreWork } from './storeWork.js';
export { type SleepOptions, TestClock, type TestClockOptions } from './TestClock.js';
