import { describe, expect, it, vi } from 'vitest';
import { createActor } from 'xstate';
import { type ClaimResult, outcomeOf, withEffects } from '../../machines/occurrence.js';
import type { Occurrence, RunOutcome } from '../../src/domain/types.js';
import { TestClock } from '../../src/testing/index.js';
import { TimerQueue } from '../../src/time/TimerQueue.js';

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

type Recorded = 'done' | 'failed' | 'retrying' | 'recurred';
type Missed = 'missed' | 'recovered' | 'retrying';

type Options = {
  claim?: () => Promise<ClaimResult>;
  run?: () => Promise<RunOutcome>;
  record?: (outcome: RunOutcome) => Promise<Recorded>;
  miss?: () => Promise<Missed>;
  dueAtMs?: number;
  viaQueue?: boolean;
};

const granted: ClaimResult = { kind: 'granted', idempotencyKey: 'pf:task-1:occ-1' };
const ok: RunOutcome = { ok: true, durationMs: 12 };

/** The real machine on a TestClock, with every effect recorded and controllable. */
function harness(options: Options = {}) {
  const clock = new TestClock(T0);
  const calls = {
    claims: [] as Array<{ manual: boolean; lateByMs: number }>,
    runs: [] as Array<{ idempotencyKey: string }>,
    records: [] as RunOutcome[],
    misses: [] as number[],
  };
  const machine = withEffects({
    claim: async (input) => {
      // Every effect is handed its occurrence: the runtime binds them once per scheduler.
      expect(input.occurrence).toBe(occurrence);
      calls.claims.push({ manual: input.manual, lateByMs: input.lateByMs });
      return options.claim ? options.claim() : granted;
    },
    run: async (input) => {
      expect(input.occurrence).toBe(occurrence);
      calls.runs.push({ idempotencyKey: input.idempotencyKey });
      return options.run ? options.run() : ok;
    },
    record: async (input) => {
      expect(input.occurrence).toBe(occurrence);
      calls.records.push(input.outcome);
      if (options.record) return options.record(input.outcome);
      return input.outcome.ok ? 'done' : 'failed';
    },
    recordMiss: async (input) => {
      expect(input.occurrence).toBe(occurrence);
      calls.misses.push(input.lateByMs);
      return options.miss ? options.miss() : 'missed';
    },
  });
  const actor = createActor(machine, {
    clock: options.viaQueue ? new TimerQueue({ clock }) : clock,
    input: { occurrence, dueAtMs: options.dueAtMs ?? DUE },
  }).start();
  return { clock, calls, actor, state: () => actor.getSnapshot().value };
}

const deferred = <T>() => {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

describe('occurrence machine', () => {
  describe('when armed', () => {
    it('waits on the injected clock and triggers exactly at its due time', async () => {
      const h = harness();
      expect(h.state()).toEqual({ scheduled: 'armed' });
      expect(h.clock.nextDueAt).toBe(DUE);
      await h.clock.advanceAsync(10 * MINUTE - 1);
      expect(h.state()).toEqual({ scheduled: 'armed' });
      await h.clock.advanceAsync(1);
      expect(h.calls.claims).toEqual([{ manual: false, lateByMs: 0 }]);
      expect(h.calls.runs).toEqual([{ idempotencyKey: 'pf:task-1:occ-1' }]);
      expect(h.calls.records).toEqual([ok]);
      expect(h.state()).toBe('done');
      expect(outcomeOf(h.actor.getSnapshot())).toBe('done');
      expect(h.clock.pending).toBe(0);
    });

    it('fires a 40-day due time at its time on a TimerQueue, not early', async () => {
      const farDue = T0 + 40 * 86_400_000;
      const h = harness({ dueAtMs: farDue, viaQueue: true });
      h.clock.advance(40 * 86_400_000 - 1);
      expect(h.state()).toEqual({ scheduled: 'armed' });
      await h.clock.advanceAsync(1);
      expect(h.calls.claims).toHaveLength(1);
      expect(h.state()).toBe('done');
    });

    it('triggers on the next tick when created already due within grace', async () => {
      const h = harness({ dueAtMs: T0 - 10_000 });
      expect(h.state()).toEqual({ scheduled: 'armed' });
      await h.clock.advanceAsync(0);
      expect(h.calls.claims).toEqual([{ manual: false, lateByMs: 10_000 }]);
      expect(h.state()).toBe('done');
    });

    it('records a miss instead of triggering when its timer fires beyond grace', async () => {
      const h = harness();
      h.clock.jump(2 * 60 * MINUTE);
      await h.clock.advanceAsync(0);
      expect(h.calls.claims).toEqual([]);
      expect(h.calls.misses).toEqual([110 * MINUTE]);
      expect(h.state()).toBe('missed');
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

    it('is recovered when resumed long after its due time and recovery answers so', async () => {
      const h = harness({ miss: async () => 'recovered' });
      h.actor.send({ type: 'PAUSE' });
      await h.clock.advanceAsync(60 * MINUTE);
      h.actor.send({ type: 'RESUME' });
      await h.clock.advanceAsync(0);
      expect(h.calls.misses).toEqual([50 * MINUTE]);
      expect(h.state()).toBe('recovered');
    });
  });

  describe('events before the trigger', () => {
    it('CANCEL ends it and leaves no timer', () => {
      const h = harness();
      h.actor.send({ type: 'CANCEL' });
      expect(h.state()).toBe('cancelled');
      expect(h.clock.pending).toBe(0);
    });

    it('TRIGGER_NOW triggers a paused occurrence, manual unless told otherwise', async () => {
      const manual = harness();
      manual.actor.send({ type: 'PAUSE' });
      manual.actor.send({ type: 'TRIGGER_NOW' });
      const dueNow = harness({ dueAtMs: T0 - 1_000 });
      dueNow.actor.send({ type: 'TRIGGER_NOW', manual: false });
      await manual.clock.settle();
      expect(manual.calls.claims).toEqual([{ manual: true, lateByMs: 0 }]);
      expect(dueNow.calls.claims).toEqual([{ manual: false, lateByMs: 1_000 }]);
      expect(manual.state()).toBe('done');
    });

    it('MISSED records the reported lateness and ends as recordMiss answers', async () => {
      const h = harness({ miss: async () => 'retrying' });
      h.actor.send({ type: 'MISSED', lateByMs: 45_000 });
      expect(h.state()).toBe('overdue');
      await h.clock.settle();
      expect(h.calls.misses).toEqual([45_000]);
      expect(h.state()).toBe('retrying');
    });
  });

  describe('when triggered', () => {
    it('runs the handler only after the claim is granted', async () => {
      const claim = deferred<ClaimResult>();
      const h = harness({ claim: () => claim.promise });
      await h.clock.advanceAsync(10 * MINUTE);
      expect(h.state()).toEqual({ triggered: 'claiming' });
      expect(h.calls.runs).toEqual([]);
      expect(h.actor.getSnapshot().context.claim).toBeUndefined();
      claim.resolve(granted);
      await h.clock.settle();
      expect(h.calls.runs).toHaveLength(1);
      expect(h.state()).toBe('done');
      // The answer stays in context: the runtime hands it to whoever asked to trigger.
      expect(h.actor.getSnapshot().context.claim).toEqual(granted);
    });

    it.each([
      ['lost', { kind: 'lost' }, 'lost'],
      ['refused', { kind: 'refused' }, 'lost'],
      ['missed', { kind: 'missed', state: 'missed' }, 'missed'],
      ['missed and recovered', { kind: 'missed', state: 'recovered' }, 'recovered'],
      ['missed and retried', { kind: 'missed', state: 'retrying' }, 'retrying'],
    ] as const)('never runs the handler when the claim is %s', async (_name, claim, final) => {
      const h = harness({ claim: async () => claim });
      await h.clock.advanceAsync(10 * MINUTE);
      expect(h.calls.runs).toEqual([]);
      expect(h.state()).toBe(final);
      expect(h.actor.getSnapshot().context.claim).toEqual(claim);
    });

    it('ends lost when an effect throws instead of answering', async () => {
      const clock = new TestClock(T0);
      const actor = createActor(
        withEffects({
          claim: () => {
            throw new Error('not even a promise');
          },
          run: async () => ok,
          record: async () => 'done',
          recordMiss: async () => 'missed',
        }),
        { clock, input: { occurrence, dueAtMs: DUE } },
      ).start();
      await clock.advanceAsync(10 * MINUTE);
      expect(actor.getSnapshot().value).toBe('lost');
    });

    it('drops an answer that arrives after the actor was stopped', async () => {
      const claim = deferred<ClaimResult>();
      const h = harness({ claim: () => claim.promise });
      await h.clock.advanceAsync(10 * MINUTE);
      h.actor.stop();
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        claim.resolve(granted);
        await h.clock.settle();
        // XState warns about an event sent to a stopped actor: none was sent.
        expect(warn).not.toHaveBeenCalled();
      } finally {
        warn.mockRestore();
      }
      expect(h.actor.getSnapshot().status).toBe('stopped');
      expect(h.calls.runs).toEqual([]);
    });

    it('ends lost when the claim itself fails (the store could not say)', async () => {
      const h = harness({ claim: () => Promise.reject(new Error('store down')) });
      await h.clock.advanceAsync(10 * MINUTE);
      expect(h.calls.runs).toEqual([]);
      expect(h.state()).toBe('lost');
    });

    it('enters triggered only once: TRIGGER_NOW while claiming or running is ignored', async () => {
      const claim = deferred<ClaimResult>();
      const run = deferred<RunOutcome>();
      const h = harness({ claim: () => claim.promise, run: () => run.promise });
      h.actor.send({ type: 'TRIGGER_NOW' });
      h.actor.send({ type: 'TRIGGER_NOW' });
      await h.clock.settle();
      claim.resolve(granted);
      await h.clock.settle();
      h.actor.send({ type: 'TRIGGER_NOW' });
      h.actor.send({ type: 'CANCEL' });
      h.actor.send({ type: 'MISSED' });
      await h.clock.advanceAsync(20 * MINUTE);
      expect(h.state()).toEqual({ triggered: 'running' });
      run.resolve(ok);
      await h.clock.settle();
      expect(h.calls.claims).toHaveLength(1);
      expect(h.calls.runs).toHaveLength(1);
      expect(h.state()).toBe('done');
    });

    it('hands a failed run to recordOutcome and ends as it answers', async () => {
      const failure: RunOutcome = {
        ok: false,
        durationMs: 5_000,
        error: { name: 'TimeoutError', message: 'too slow', timedOut: true },
      };
      for (const answer of ['failed', 'retrying', 'recurred'] as const) {
        const h = harness({ run: async () => failure, record: async () => answer });
        await h.clock.advanceAsync(10 * MINUTE);
        expect(h.calls.records).toEqual([failure]);
        expect(h.state()).toBe(answer);
      }
    });

    it('is not final until the outcome is recorded', async () => {
      const recorded = deferred<Recorded>();
      const h = harness({ record: () => recorded.promise });
      await h.clock.advanceAsync(10 * MINUTE);
      expect(h.state()).toBe('recording');
      expect(outcomeOf(h.actor.getSnapshot())).toBeUndefined();
      recorded.resolve('recurred');
      await h.clock.settle();
      expect(outcomeOf(h.actor.getSnapshot())).toBe('recurred');
    });

    it('ends lost when the run or the recording rejects', async () => {
      const badRun = harness({ run: () => Promise.reject(new Error('x')) });
      const badRecord = harness({ record: () => Promise.reject(new Error('y')) });
      await badRun.clock.advanceAsync(10 * MINUTE);
      await badRecord.clock.advanceAsync(10 * MINUTE);
      expect(badRun.state()).toBe('lost');
      expect(badRecord.state()).toBe('lost');
    });
  });
});
