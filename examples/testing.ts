/**
 * Testing your own schedule with a fake clock: a simulated week in milliseconds.
 *
 * Copy this into your test suite. Two ways to control time:
 *
 * 1. `TestClock` from `planflow/testing`, passed as the scheduler's `clock`: time moves only
 *    when the test says so, and `advanceAsync` lets each async handler finish before the next
 *    timer fires.
 * 2. `@sinonjs/fake-timers` installed over the globals: the scheduler keeps its default
 *    `systemClock`, and timers in your own handler code (a `setTimeout`, a timeout) are faked
 *    along with it.
 *
 * Each check asserts with `node:assert` and throws when the schedule is not what it claims.
 * Run: `npx tsx examples/testing.ts` (both checks take well under a second).
 */
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import FakeTimers from '@sinonjs/fake-timers';
import { createScheduler, type Handler, memoryStore } from '../src/index.js';
import { TestClock } from '../src/testing/index.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Invoices are paid every weekday at 10:00 Berlin time; the bank is down on Wednesday for
 * the first attempt, so that run is retried 15 minutes later. Resolves with every run's
 * instant (ISO, UTC).
 */
export async function checkWeekWithTestClock(print = console.log): Promise<string[]> {
  const clock = new TestClock(Date.parse('2026-03-01T23:00:00Z')); // Mon 2 Mar, 00:00 Berlin
  const runs: string[] = [];
  const pay: Handler = (_occurrence, { attempt }) => {
    const now = new Date(clock.now());
    runs.push(now.toISOString());
    if (now.getUTCDay() === 3 && attempt === 0) throw new Error('bank unavailable');
  };
  const scheduler = createScheduler({
    store: memoryStore({ clock }),
    clock,
    calendar: { timeZone: 'Europe/Berlin' },
    handlers: { pay },
  });
  await scheduler.defineTask({
    id: 'invoices',
    title: 'Pay invoices',
    handler: 'pay',
    recurrence: { cron: '0 10 * * 1-5' },
    retry: { maxRetries: 2, delayMs: 15 * MINUTE },
  });
  await scheduler.start();

  await clock.advanceAsync(7 * DAY); // a week, in milliseconds of real time

  assert.deepEqual(runs, [
    '2026-03-02T09:00:00.000Z', // Monday 10:00 CET
    '2026-03-03T09:00:00.000Z',
    '2026-03-04T09:00:00.000Z', // Wednesday: fails…
    '2026-03-04T09:15:00.000Z', // …and its retry succeeds
    '2026-03-05T09:00:00.000Z',
    '2026-03-06T09:00:00.000Z',
  ]);
  const wednesday = (await scheduler.listExecutions({ taskId: 'invoices' })).items[2];
  assert.equal(wednesday?.state, 'retrying');
  assert.equal(wednesday?.error?.message, 'bank unavailable');
  assert.equal((await scheduler.verify()).ok, true);
  await scheduler.stop();
  print(`✓ TestClock: ${runs.length} runs in a simulated week, the failed one retried`);
  return runs;
}

/**
 * A nightly export calls a slow API with a 30 s timeout; the API hangs on the first
 * attempt, which times out and is retried 5 minutes later. The handler uses the global
 * `setTimeout`, faked here along with the scheduler's default clock.
 */
export async function checkTimeoutWithFakeTimers(print = console.log): Promise<string[]> {
  const fake = FakeTimers.install({
    now: Date.parse('2026-03-02T00:00:00Z'),
    toFake: ['Date', 'setTimeout', 'clearTimeout'],
  });
  try {
    const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const runs: string[] = [];
    const scheduler = createScheduler({
      // No clock option: the default systemClock reads the (faked) globals on every call.
      handlers: {
        export: async (_occurrence, { attempt }) => {
          runs.push(new Date().toISOString());
          await delay(attempt === 0 ? 10 * MINUTE : 2_000); // the first call hangs, ignoring its signal
        },
      },
    });
    await scheduler.defineTask({
      id: 'export',
      title: 'Nightly export',
      handler: 'export',
      recurrence: { cron: '0 2 * * *', timeZone: 'UTC' },
      timeoutMs: 30_000,
      retry: { maxRetries: 1, delayMs: 5 * MINUTE },
    });
    await scheduler.start();

    await fake.tickAsync(3 * HOUR);

    // The retry is due at 02:05:30 but shares the hung call's idempotency key, so it waits for
    // that call to end (02:10) rather than run beside it.
    assert.deepEqual(runs, ['2026-03-02T02:00:00.000Z', '2026-03-02T02:10:00.000Z']);
    const [first, retry] = (await scheduler.listExecutions({ taskId: 'export' })).items;
    assert.equal(first?.error?.timedOut, true);
    assert.equal(retry?.state, 'recurred'); // done, and tomorrow's run is planned
    await scheduler.stop();
    print(
      `✓ fake-timers: the hung call timed out after 30 s; its retry waited for it, then succeeded`,
    );
    return runs;
  } finally {
    fake.uninstall();
  }
}

/** Runs both checks; throws (an `AssertionError`) when either schedule is wrong. */
export async function runTestingExample(
  options: Readonly<{ print?: (line: string) => void }> = {},
): Promise<{ week: string[]; nightly: string[] }> {
  const print = options.print ?? ((line: string) => console.log(line));
  const week = await checkWeekWithTestClock(print);
  const nightly = await checkTimeoutWithFakeTimers(print);
  return { week, nightly };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runTestingExample();
}
