import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import { TestClock } from '../../src/testing/TestClock.js';
import {
  at,
  type Call,
  HOUR,
  MINUTE,
  manualTask,
  oneShot,
  recordingHandler,
  SECOND,
  T0,
  useHarnesses,
} from '../helpers/harness.js';
import { ofType } from '../helpers/logQueries.js';

// What a handler sees (attempt, idempotency key, abort signal) and what the log records when
// it fails, times out, is aborted by stop(), or does not exist.

const { setUp } = useHarnesses();

/** A handler that never settles by itself and notes when its signal is aborted. */
function hangUntilAborted(log: { abortedAt?: number }, clock: { now(): number }) {
  return (_occ: unknown, { signal }: { signal: AbortSignal }) =>
    new Promise<void>((_, reject) => {
      signal.addEventListener('abort', () => {
        log.abortedAt = clock.now();
        reject(signal.reason);
      });
    });
}

describe('SmartScheduler', () => {
  describe('stop()', () => {
    it('waits up to stopTimeoutMs for a running handler, then aborts it', async () => {
      const seen: { abortedAt?: number } = {};
      const clock = new TestClock(T0);
      const s = setUp({
        clock,
        stopTimeoutMs: 5 * SECOND,
        handlers: { hang: hangUntilAborted(seen, clock) },
      });
      await s.scheduler.defineTask(oneShot('stuck', MINUTE, { handler: 'hang' }));
      await s.scheduler.start();
      await s.clock.advanceAsync(MINUTE);
      const [occ] = (await s.scheduler.listOccurrences()).items;
      expect((await s.scheduler.getExecution(occ!.id))?.state).toBe('triggered');

      const stopping = s.scheduler.stop();
      await s.clock.advanceAsync(5 * SECOND - 1);
      expect(seen.abortedAt).toBeUndefined();
      await s.clock.advanceAsync(1);
      await stopping;

      expect(seen.abortedAt).toBe(T0 + MINUTE + 5 * SECOND);
      expect(await s.scheduler.getExecution(occ!.id)).toMatchObject({
        state: 'failed',
        error: { name: 'AbortError' },
      });
      const types = (await s.events()).map((e) => e.type);
      expect(types.slice(-2)).toEqual(['occurrence.failed', 'scheduler.stopped']);
      expect(s.scheduler.status).toBe('stopped');
    });

    it('does not abort a handler that finishes within stopTimeoutMs', async () => {
      const h = setUp({
        stopTimeoutMs: 10 * SECOND,
        handlers: {
          slow: () =>
            new Promise<void>((resolve) => {
              h.clock.setTimeout(resolve, 2 * SECOND);
            }),
        },
      });
      await h.scheduler.defineTask(oneShot('slow', MINUTE, { handler: 'slow' }));
      await h.scheduler.start();
      await h.clock.advanceAsync(MINUTE);

      const stopping = h.scheduler.stop();
      await h.clock.advanceAsync(2 * SECOND);
      await stopping;

      const [completed] = ofType(await h.events(), 'occurrence.completed');
      expect(completed?.data.durationMs).toBe(2 * SECOND);
      expect(ofType(await h.events(), 'occurrence.failed')).toEqual([]);
    });
  });

  describe('a handler', () => {
    it('has its signal aborted and is recorded failed with timedOut after task.timeoutMs', async () => {
      const seen: { abortedAt?: number } = {};
      const clock = new TestClock(T0);
      const s = setUp({ clock, handlers: { hang: hangUntilAborted(seen, clock) } });
      await s.scheduler.defineTask(
        oneShot('slow', MINUTE, {
          handler: 'hang',
          timeoutMs: 5_000,
          retry: { maxRetries: 1, delayMs: 10 * MINUTE },
        }),
      );
      await s.scheduler.start();

      await s.clock.advanceAsync(MINUTE + 5_000);

      expect(seen.abortedAt).toBe(T0 + MINUTE + 5_000);
      const [first, retry] = (await s.scheduler.listExecutions()).items;
      expect(first).toMatchObject({
        state: 'retrying',
        outcome: 'failed',
        error: { name: 'TimeoutError', timedOut: true },
      });
      expect(retry).toMatchObject({ attempt: 1, scheduledFor: at(MINUTE + 5_000 + 10 * MINUTE) });
      const [failed] = ofType(await s.events(), 'occurrence.failed');
      expect(failed?.data.durationMs).toBe(5_000);
    });

    it('that reads its signal only after its timeout finds it aborted with the TimeoutError', async () => {
      const clock = new TestClock(T0);
      const read: { aborted?: boolean; reason?: unknown } = {};
      let readLater: (() => void) | undefined;
      const s = setUp({
        clock,
        handlers: {
          late: (_occ: unknown, context: { signal: AbortSignal }) => {
            readLater = () => {
              read.aborted = context.signal.aborted;
              read.reason = context.signal.reason;
            };
            return new Promise(() => {});
          },
        },
      });
      await s.scheduler.defineTask(oneShot('late', MINUTE, { handler: 'late', timeoutMs: 5_000 }));
      await s.scheduler.start();
      await s.clock.advanceAsync(MINUTE + 5_000);
      expect((await s.scheduler.listExecutions()).items[0]).toMatchObject({
        state: 'failed',
        error: { name: 'TimeoutError' },
      });

      readLater?.();
      expect(read.aborted).toBe(true);
      expect(read.reason).toMatchObject({ name: 'TimeoutError' });
    });

    describe('that fails in any way', () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      beforeEach(() => {
        unhandled.length = 0;
        process.on('unhandledRejection', onUnhandled);
      });
      afterEach(() => {
        process.off('unhandledRejection', onUnhandled);
      });

      it('never lets the error escape: each failure is recorded', async () => {
        const circular: { self?: unknown } = {};
        circular.self = circular;
        const h = setUp({
          handlers: {
            throwsSync: () => {
              throw new TypeError('sync');
            },
            rejects: async () => {
              throw new RangeError('async');
            },
            throwsString: () => {
              throw 'plain string';
            },
            rejectsUndefined: () => Promise.reject(undefined),
            throwsCircular: () => {
              throw circular;
            },
            rejectsAfterTimeout: () =>
              new Promise((_, reject) => {
                h.clock.setTimeout(() => reject(new Error('too late')), 2 * SECOND);
              }),
          },
        });
        const names = [
          'throwsSync',
          'rejects',
          'throwsString',
          'rejectsUndefined',
          'throwsCircular',
          'rejectsAfterTimeout',
        ];
        for (const [i, name] of names.entries()) {
          await h.scheduler.defineTask(
            oneShot(name, (i + 1) * MINUTE, { handler: name, timeoutMs: SECOND }),
          );
        }
        await h.scheduler.start();

        await h.clock.advanceAsync(HOUR);
        await h.clock.settle();

        expect(unhandled).toEqual([]);
        expect(h.errors).toEqual([]);
        const errors = (await h.scheduler.listExecutions()).items.map((e) => [
          e.state,
          e.error?.name,
        ]);
        expect(errors).toEqual([
          ['failed', 'TypeError'],
          ['failed', 'RangeError'],
          ['failed', 'Error'],
          ['failed', 'Error'],
          ['failed', 'Error'],
          ['failed', 'TimeoutError'],
        ]);
        expect((await h.scheduler.listExecutions()).items[2]?.error?.message).toBe('plain string');
        expect(h.scheduler.status).toBe('running');
      });
    });

    it('is optional: a task without one triggers as a plain reminder, recorded done', async () => {
      const h = setUp();
      await h.scheduler.defineTask({ id: 'remind', title: 'Remind me', startAt: at(MINUTE) });
      await h.scheduler.start();

      await h.clock.advanceAsync(MINUTE);

      const [execution] = (await h.scheduler.listExecutions()).items;
      expect(execution).toMatchObject({ state: 'done', outcome: 'completed', triggered: true });
      const [completed] = ofType(await h.events(), 'occurrence.completed');
      expect(completed?.data.durationMs).toBe(0);
    });

    it('that is not registered is refused when the task is defined, and nothing is recorded', async () => {
      const h = setUp();
      await h.scheduler.ready;
      const before = (await h.events()).length;
      const error = await h.scheduler
        .defineTask(oneShot('typo', MINUTE, { handler: 'nope' }))
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe('handler');
      expect((error as Error).message).toContain('"nope"');
      expect(await h.events()).toHaveLength(before);
      expect(h.scheduler.listTasks()).toEqual([]);
    });

    it('receives its attempt and a key shared by retries but not by recurrences', async () => {
      const clock = new TestClock(T0);
      const calls: Call[] = [];
      const s = setUp({
        clock,
        handlers: {
          flaky: recordingHandler(calls, clock, (occ, { attempt }) => {
            if (occ.cause !== 'recurrence' && attempt < 2) throw new Error('not yet');
          }),
        },
      });
      await s.scheduler.defineTask({
        ...manualTask('job', { handler: 'flaky' }),
        recurrence: { everyMs: HOUR, anchor: at(HOUR) },
        retry: { maxRetries: 3, delayMs: 5 * MINUTE },
      });
      await s.scheduler.start();

      await s.clock.advanceAsync(2 * HOUR);

      expect(calls.map((c) => [c.cause, c.attempt, c.atMs - T0])).toEqual([
        ['initial', 0, HOUR],
        ['retry', 1, HOUR + 5 * MINUTE],
        ['retry', 2, HOUR + 10 * MINUTE],
        ['recurrence', 0, 2 * HOUR],
      ]);
      const keys = calls.map((c) => c.idempotencyKey);
      expect(new Set(keys.slice(0, 3)).size).toBe(1);
      expect(keys[3]).not.toBe(keys[0]);
      expect(keys[0]).toContain(calls[0]!.occurrenceId);
    });
  });
});
