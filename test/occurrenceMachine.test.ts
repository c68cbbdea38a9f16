import { describe, expect, it } from 'vitest';
import { createActor, fromPromise } from 'xstate';
import {
  type HandlerRequest,
  type OccurrenceContext,
  occurrenceMachine,
  outcomeOf,
  type TriggerClaim,
} from '../machines/occurrence.js';
import type { Occurrence } from '../src/domain/types.js';
import { TimerQueue } from '../src/runtime/TimerQueue.js';
import { TestClock } from '../src/testing/index.js';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const MINUTE = 60_000;
const DUE = T0 + 10 * MINUTE;

const occurrence: Occurrence = {
  id: 'occ-1',
  taskId: 'task-1',
  scheduledFor: new Date(DUE).toISOString(),
  attempt: 0,
  cause: 'initial',
};

type Harness = {
  clock: TestClock;
  log: string[];
  claims: TriggerClaim[];
  runs: HandlerRequest[];
  signals: AbortSignal[];
  actor: ReturnType<typeof createActor<typeof occurrenceMachine>>;
  state: () => unknown;
};

type Options = {
  claim?: () => Promise<unknown>;
  handler?: (signal: AbortSignal) => Promise<unknown>;
  canRetry?: boolean;
  hasRecurrence?: boolean;
  canRecover?: boolean;
  timeoutMs?: number;
  dueAtMs?: number;
  clock?: TestClock;
  viaQueue?: boolean;
};

function harness(options: Options = {}): Harness {
  const clock = options.clock ?? new TestClock(T0);
  const log: string[] = [];
  const claims: TriggerClaim[] = [];
  const runs: HandlerRequest[] = [];
  const signals: AbortSignal[] = [];
  const record =
    (name: string) =>
    ({ context }: { context: OccurrenceContext }): void => {
      log.push(`${name}${context.error ? `:${context.error.name}` : ''}`);
    };
  const machine = occurrenceMachine.provide({
    actors: {
      claimTrigger: fromPromise<unknown, TriggerClaim>(async ({ input }) => {
        claims.push(input);
        return options.claim?.();
      }),
      runHandler: fromPromise<unknown, HandlerRequest>(async ({ input, signal }) => {
        runs.push(input);
        signals.push(signal);
        return options.handler?.(signal);
      }),
    },
    guards: {
      canRetry: () => options.canRetry ?? false,
      hasRecurrence: () => options.hasRecurrence ?? false,
      canRecover: () => options.canRecover ?? false,
    },
    actions: {
      recordCompleted: record('completed'),
      recordFailed: record('failed'),
      recordMissed: ({ context }) => log.push(`missed:${context.lateByMs}`),
      recordCancelled: ({ event }) =>
        log.push(`cancelled:${event.type === 'CANCEL' ? event.reason : '?'}`),
      recordLost: record('lost'),
      planRetry: record('planRetry'),
      planNext: record('planNext'),
      planRecovery: record('planRecovery'),
    },
  });
  const actorClock = options.viaQueue ? new TimerQueue({ clock }) : clock;
  const actor = createActor(machine, {
    clock: actorClock,
    input: {
      occurrence,
      dueAtMs: options.dueAtMs ?? DUE,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    },
  }).start();
  return { clock, log, claims, runs, signals, actor, state: () => actor.getSnapshot().value };
}

describe('occurrence machine', () => {
  describe('when armed', () => {
    it('waits on the injected clock and triggers exactly at its due time', async () => {
      const h = harness();
      expect(h.state()).toEqual({ scheduled: 'armed' });
      expect(h.clock.nextDueAt).toBe(DUE);
      await h.clock.advanceAsync(10 * MINUTE - 1);
      expect(h.state()).toEqual({ scheduled: 'armed' });
      await h.clock.advanceAsync(1);
      expect(h.claims).toEqual([
        { occurrence, attempt: 0, idempotencyKey: 'occ-1', manual: false, lateByMs: 0 },
      ]);
      expect(h.runs).toHaveLength(1);
      expect(h.state()).toBe('done');
      expect(outcomeOf(h.actor.getSnapshot())).toBe('done');
      expect(h.log).toEqual(['completed']);
      expect(h.clock.pending).toBe(0);
    });

    it('fires a 40-day due time at its time on a TimerQueue, not early', async () => {
      const farDue = T0 + 40 * 86_400_000;
      const h = harness({ dueAtMs: farDue, viaQueue: true });
      h.clock.advance(40 * 86_400_000 - 1);
      expect(h.state()).toEqual({ scheduled: 'armed' });
      expect(h.clock.now()).toBe(farDue - 1);
      await h.clock.advanceAsync(1);
      expect(h.state()).toBe('done');
    });

    it('triggers at once (on the next tick) when created already due within grace', async () => {
      const h = harness({ dueAtMs: T0 - 10_000 });
      expect(h.state()).toEqual({ scheduled: 'armed' });
      await h.clock.advanceAsync(0);
      expect(h.claims[0]?.lateByMs).toBe(10_000);
      expect(h.state()).toBe('done');
    });

    it('becomes missed when its timer fires beyond grace (the machine slept)', async () => {
      const h = harness();
      h.clock.jump(2 * 60 * MINUTE);
      await h.clock.advanceAsync(0);
      expect(h.claims).toEqual([]);
      expect(h.state()).toBe('missed');
      expect(h.log).toEqual([`missed:${2 * 60 * MINUTE - 10 * MINUTE}`]);
    });
  });

  describe('pause and resume', () => {
    it('disarms its timer while paused and re-arms from the clock on resume', async () => {
      const h = harness();
      h.actor.send({ type: 'PAUSE' });
      expect(h.state()).toEqual({ scheduled: 'paused' });
      expect(h.clock.pending).toBe(0);
      await h.clock.advanceAsync(5 * MINUTE);
      h.actor.send({ type: 'RESUME' });
      expect(h.clock.nextDueAt).toBe(DUE);
      await h.clock.advanceAsync(5 * MINUTE);
      expect(h.state()).toBe('done');
    });

    it('is missed when resumed long after its due time', async () => {
      const h = harness({ canRecover: true });
      h.actor.send({ type: 'PAUSE' });
      await h.clock.advanceAsync(60 * MINUTE);
      h.actor.send({ type: 'RESUME' });
      await h.clock.advanceAsync(0);
      expect(h.state()).toBe('recovered');
      expect(h.log).toEqual([`missed:${50 * MINUTE}`, 'planRecovery']);
    });
  });

  describe('events before the trigger', () => {
    it('CANCEL ends it, records the reason and leaves no timer', () => {
      const h = harness();
      h.actor.send({ type: 'CANCEL', reason: 'task-removed' });
      expect(h.state()).toBe('cancelled');
      expect(h.log).toEqual(['cancelled:task-removed']);
      expect(h.clock.pending).toBe(0);
    });

    it('TRIGGER_NOW triggers a paused occurrence as a manual run', async () => {
      const h = harness();
      h.actor.send({ type: 'PAUSE' });
      h.clock.advance(MINUTE);
      h.actor.send({ type: 'TRIGGER_NOW' });
      await h.clock.settle();
      expect(h.claims[0]).toMatchObject({ manual: true, lateByMs: 0 });
      expect(h.state()).toBe('done');
    });

    it('MISSED takes the runtime-reported lateness and its follow-up guards in order', () => {
      const h = harness({ canRetry: true, hasRecurrence: true });
      h.actor.send({ type: 'MISSED', lateByMs: 45_000 });
      expect(h.state()).toBe('retrying');
      expect(h.log).toEqual(['missed:45000', 'planRetry']);
    });
  });

  describe('when triggered', () => {
    it('runs the handler only after the claim is accepted', async () => {
      let accept!: () => void;
      const h = harness({ claim: () => new Promise<void>((resolve) => (accept = resolve)) });
      await h.clock.advanceAsync(10 * MINUTE);
      expect(h.state()).toEqual({ triggered: 'claiming' });
      expect(h.runs).toEqual([]);
      accept();
      await h.clock.settle();
      expect(h.runs).toHaveLength(1);
      expect(h.state()).toBe('done');
    });

    it('ends lost without running the handler when the claim is refused', async () => {
      const refused = Object.assign(new Error('already triggered'), { name: 'ConcurrencyError' });
      const h = harness({ claim: () => Promise.reject(refused) });
      await h.clock.advanceAsync(10 * MINUTE);
      expect(h.runs).toEqual([]);
      expect(h.state()).toBe('lost');
      expect(h.log).toEqual(['lost:ConcurrencyError']);
      expect(h.actor.getSnapshot().context.error?.message).toBe('already triggered');
    });

    it('enters triggered only once: TRIGGER_NOW while claiming or running is ignored', async () => {
      let accept!: () => void;
      let finish!: () => void;
      const h = harness({
        claim: () => new Promise<void>((resolve) => (accept = resolve)),
        handler: () => new Promise<void>((resolve) => (finish = resolve)),
      });
      h.actor.send({ type: 'TRIGGER_NOW' });
      h.actor.send({ type: 'TRIGGER_NOW' });
      await h.clock.settle();
      accept();
      await h.clock.settle();
      h.actor.send({ type: 'TRIGGER_NOW' });
      h.actor.send({ type: 'CANCEL' });
      await h.clock.advanceAsync(20 * MINUTE);
      expect(h.state()).toEqual({ triggered: 'running' });
      finish();
      await h.clock.settle();
      expect(h.claims).toHaveLength(1);
      expect(h.runs).toHaveLength(1);
      expect(h.state()).toBe('done');
    });

    it('records a failure and retries when the policy allows', async () => {
      const h = harness({ handler: () => Promise.reject(new TypeError('nope')), canRetry: true });
      await h.clock.advanceAsync(10 * MINUTE);
      expect(h.state()).toBe('retrying');
      expect(h.log).toEqual(['failed:TypeError', 'planRetry:TypeError']);
    });

    it('recurs after a failure with no retry left, and ends failed with neither', async () => {
      const recurring = harness({
        handler: () => Promise.reject(new Error('x')),
        hasRecurrence: true,
      });
      const oneOff = harness({ handler: () => Promise.reject(new Error('x')) });
      await recurring.clock.advanceAsync(10 * MINUTE);
      await oneOff.clock.advanceAsync(10 * MINUTE);
      expect(recurring.state()).toBe('recurred');
      expect(oneOff.state()).toBe('failed');
      expect(outcomeOf(oneOff.actor.getSnapshot())).toBe('failed');
    });

    it('records completion before planning the next recurrence', async () => {
      const h = harness({ hasRecurrence: true, canRetry: true });
      await h.clock.advanceAsync(10 * MINUTE);
      expect(h.state()).toBe('recurred');
      expect(h.log).toEqual(['completed', 'planNext']);
    });

    it('times the handler out on the clock and aborts its signal', async () => {
      const h = harness({ timeoutMs: 5_000, handler: () => new Promise(() => {}) });
      await h.clock.advanceAsync(10 * MINUTE + 4_999);
      expect(h.state()).toEqual({ triggered: 'running' });
      expect(h.actor.getSnapshot().context.startedAtMs).toBe(DUE);
      await h.clock.advanceAsync(1);
      expect(h.state()).toBe('failed');
      expect(h.actor.getSnapshot().context.error).toMatchObject({
        name: 'TimeoutError',
        timedOut: true,
      });
      expect(h.signals[0]?.aborted).toBe(true);
      expect(h.clock.pending).toBe(0);
    });

    it('arms no timeout when the task has none', async () => {
      const h = harness({ handler: () => new Promise(() => {}) });
      await h.clock.advanceAsync(10 * MINUTE);
      expect(h.state()).toEqual({ triggered: 'running' });
      await h.clock.advanceAsync(24 * 60 * MINUTE);
      expect(h.state()).toEqual({ triggered: 'running' });
    });
  });
});
