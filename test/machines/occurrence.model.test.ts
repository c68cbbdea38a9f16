/**
 * Model-based test of the occurrence lifecycle. `createTestModel` cannot traverse machines
 * with `after` transitions, so this file states the lifecycle as an abstract model where
 * time moves by explicit events (ADVANCE_TO_DUE, JUMP_PAST_GRACE) and every answer of the
 * runtime (claim, handler, recording) is an event of its own. xstate/graph generates a path
 * to every (state, incoming transition) of the model; each path is replayed against the
 * REAL occurrence machine running on a TestClock, comparing states after every step — in both
 * of its forms at once: the XState actor (as the inspector sees it) and the same definition
 * stepped through its compiled table (as a scheduler runs it by default), which must agree
 * on the state value and the whole context after every step.
 */
import { describe, expect, it } from 'vitest';
import { assign, createActor, setup } from 'xstate';
import { createTestModel } from 'xstate/graph';
import {
  type ClaimResult,
  type OccurrenceContext,
  type OccurrenceEffects,
  type OccurrenceEvent,
  occurrenceMachine,
  occurrenceSteps,
  withEffects,
} from '../../machines/occurrence.js';
import type { Occurrence, RunOutcome } from '../../src/domain/types.js';
import { MachineStepper } from '../../src/scheduler/actors/MachineStepper.js';
import { compileMachineTable } from '../../src/scheduler/actors/MachineTable.js';
import { TestClock } from '../../src/testing/index.js';
import { TimerQueue } from '../../src/time/TimerQueue.js';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const DUE = T0 + 10 * 60_000;
const SLEEP_MS = 2 * 3_600_000;

type Time = 'before' | 'due' | 'late';
type Recorded = 'done' | 'failed' | 'retrying' | 'recurred';
type Missed = 'missed' | 'recovered' | 'retrying';

/** Runtime answers, each an event of the model, with the value the real actors resolve to. */
const CLAIMS = {
  CLAIM_GRANTED: { kind: 'granted', idempotencyKey: 'key' },
  CLAIM_LOST: { kind: 'lost' },
  CLAIM_REFUSED: { kind: 'refused' },
  CLAIM_MISSED: { kind: 'missed', state: 'missed' },
  CLAIM_MISSED_RECOVERED: { kind: 'missed', state: 'recovered' },
  CLAIM_MISSED_RETRIED: { kind: 'missed', state: 'retrying' },
} as const satisfies Record<string, ClaimResult>;
const RUNS = {
  HANDLER_SUCCEEDS: { ok: true, durationMs: 1 },
  HANDLER_FAILS: { ok: false, durationMs: 1, error: { name: 'Error', message: 'x' } },
} as const satisfies Record<string, RunOutcome>;
const RECORDS = {
  RECORDED_DONE: 'done',
  RECORDED_FAILED: 'failed',
  RECORDED_RETRYING: 'retrying',
  RECORDED_RECURRED: 'recurred',
} as const satisfies Record<string, Recorded>;
const MISSES = {
  MISS_RECORDED: 'missed',
  MISS_RECOVERED: 'recovered',
  MISS_RETRIED: 'retrying',
} as const satisfies Record<string, Missed>;

type ModelEvent = {
  type:
    | 'PAUSE'
    | 'RESUME'
    | 'CANCEL'
    | 'TRIGGER_NOW'
    | 'MISSED'
    | 'ADVANCE_TO_DUE'
    | 'JUMP_PAST_GRACE'
    | 'CLAIM_REJECTED'
    | keyof typeof CLAIMS
    | keyof typeof RUNS
    | keyof typeof RECORDS
    | keyof typeof MISSES;
};

const model = setup({
  types: { context: {} as { time: Time }, events: {} as ModelEvent },
  guards: {
    isDue: ({ context }) => context.time === 'due',
    isLate: ({ context }) => context.time === 'late',
  },
  actions: {
    reachDue: assign({ time: ({ context }) => (context.time === 'before' ? 'due' : context.time) }),
    sleepPastGrace: assign({ time: 'late' as Time }),
  },
}).createMachine({
  id: 'model',
  context: { time: 'before' },
  initial: 'armed',
  states: {
    armed: {
      on: {
        PAUSE: 'paused',
        CANCEL: 'cancelled',
        TRIGGER_NOW: 'claiming',
        MISSED: 'overdue',
        ADVANCE_TO_DUE: { target: 'claiming', actions: 'reachDue' },
        JUMP_PAST_GRACE: { target: 'overdue', actions: 'sleepPastGrace' },
      },
    },
    paused: {
      on: {
        RESUME: [
          { guard: 'isLate', target: 'overdue' },
          { guard: 'isDue', target: 'claiming' },
          { target: 'armed' },
        ],
        CANCEL: 'cancelled',
        TRIGGER_NOW: 'claiming',
        MISSED: 'overdue',
        ADVANCE_TO_DUE: { actions: 'reachDue' },
        JUMP_PAST_GRACE: { actions: 'sleepPastGrace' },
      },
    },
    claiming: {
      on: {
        CLAIM_GRANTED: 'running',
        CLAIM_LOST: 'lost',
        CLAIM_REFUSED: 'lost',
        CLAIM_REJECTED: 'lost',
        CLAIM_MISSED: 'missed',
        CLAIM_MISSED_RECOVERED: 'recovered',
        CLAIM_MISSED_RETRIED: 'retrying',
      },
    },
    running: { on: { HANDLER_SUCCEEDS: 'recording', HANDLER_FAILS: 'recording' } },
    recording: {
      on: {
        RECORDED_DONE: 'done',
        RECORDED_FAILED: 'failed',
        RECORDED_RETRYING: 'retrying',
        RECORDED_RECURRED: 'recurred',
      },
    },
    overdue: {
      on: { MISS_RECORDED: 'missed', MISS_RECOVERED: 'recovered', MISS_RETRIED: 'retrying' },
    },
    done: { type: 'final' },
    failed: { type: 'final' },
    missed: { type: 'final' },
    retrying: { type: 'final' },
    recurred: { type: 'final' },
    recovered: { type: 'final' },
    cancelled: { type: 'final' },
    lost: { type: 'final' },
  },
});

const occurrence: Occurrence = {
  id: 'occ-m',
  taskId: 'task-m',
  scheduledFor: new Date(DUE).toISOString(),
  attempt: 0,
  cause: 'initial',
};

type Deferred<T> = { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void };
const deferred = <T>(): Deferred<T> => {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

/**
 * The real machine on a TestClock, as an actor and stepped by table side by side on one timer
 * queue, with every runtime answer held by the test (both forms get the same answer).
 */
function realOccurrence() {
  const clock = new TestClock(T0);
  const timers = new TimerQueue({ clock });
  const claim = deferred<ClaimResult>();
  const run = deferred<RunOutcome>();
  const record = deferred<Recorded>();
  const miss = deferred<Missed>();
  const counting = (counts: { claims: number; runs: number; records: number; misses: number }) =>
    ({
      claim: () => {
        counts.claims++;
        return claim.promise;
      },
      run: () => {
        counts.runs++;
        return run.promise;
      },
      record: () => {
        counts.records++;
        return record.promise;
      },
      recordMiss: () => {
        counts.misses++;
        return miss.promise;
      },
    }) satisfies OccurrenceEffects;
  const counts = { claims: 0, runs: 0, records: 0, misses: 0 };
  const steppedCounts = { claims: 0, runs: 0, records: 0, misses: 0 };
  const actor = createActor(withEffects(counting(counts)), {
    clock: timers,
    input: { occurrence },
  }).start();
  const table = compileMachineTable<OccurrenceContext, OccurrenceEvent>(
    occurrenceMachine,
    occurrenceSteps(counting(steppedCounts)),
  );
  const stepper = new MachineStepper(table, { ...actor.getSnapshot().context }, timers, () => {});
  stepper.start();
  const send = (event: OccurrenceEvent): void => {
    actor.send(event);
    stepper.send(event);
  };
  const state = (): string => {
    const value = actor.getSnapshot().value;
    return typeof value === 'string' ? value : Object.values(value)[0]!;
  };
  return { clock, claim, run, record, miss, counts, steppedCounts, actor, stepper, send, state };
}

const FINAL = new Set([
  'done',
  'failed',
  'missed',
  'retrying',
  'recurred',
  'recovered',
  'cancelled',
  'lost',
]);

type Sut = ReturnType<typeof realOccurrence>;
type Exec = (sut: Sut) => void | Promise<void>;

const answer =
  (settle: (sut: Sut) => void): Exec =>
  async (sut) => {
    settle(sut);
    await sut.clock.settle();
  };

const executors: Record<ModelEvent['type'], Exec> = {
  PAUSE: (sut) => sut.send({ type: 'PAUSE' }),
  RESUME: async (sut) => {
    sut.send({ type: 'RESUME' });
    await sut.clock.advanceAsync(0);
  },
  CANCEL: (sut) => sut.send({ type: 'CANCEL' }),
  TRIGGER_NOW: answer((sut) => sut.send({ type: 'TRIGGER_NOW' })),
  MISSED: (sut) => sut.send({ type: 'MISSED' }),
  ADVANCE_TO_DUE: async (sut) => {
    await sut.clock.advanceAsync(Math.max(0, DUE - sut.clock.now()));
  },
  JUMP_PAST_GRACE: async (sut) => {
    sut.clock.jump(SLEEP_MS);
    await sut.clock.advanceAsync(0);
  },
  CLAIM_REJECTED: answer((sut) => sut.claim.reject(new Error('store unavailable'))),
  ...(Object.fromEntries(
    Object.entries(CLAIMS).map(([type, value]) => [
      type,
      answer((sut) => sut.claim.resolve(value)),
    ]),
  ) as Record<keyof typeof CLAIMS, Exec>),
  ...(Object.fromEntries(
    Object.entries(RUNS).map(([type, value]) => [type, answer((sut) => sut.run.resolve(value))]),
  ) as Record<keyof typeof RUNS, Exec>),
  ...(Object.fromEntries(
    Object.entries(RECORDS).map(([type, value]) => [
      type,
      answer((sut) => sut.record.resolve(value)),
    ]),
  ) as Record<keyof typeof RECORDS, Exec>),
  ...(Object.fromEntries(
    Object.entries(MISSES).map(([type, value]) => [type, answer((sut) => sut.miss.resolve(value))]),
  ) as Record<keyof typeof MISSES, Exec>),
};

describe('occurrence lifecycle (model-based)', () => {
  const testModel = createTestModel(model);
  const paths = testModel.getShortestPaths();

  it('generates a path into every state of the lifecycle', () => {
    const visited = new Set(paths.flatMap((p) => p.steps.map((s) => String(s.state.value))));
    expect(paths.length).toBeGreaterThan(30);
    expect([...visited].sort()).toEqual(
      [...FINAL, 'armed', 'paused', 'claiming', 'running', 'recording', 'overdue'].sort(),
    );
  });

  it('every generated path holds on the real machine', async () => {
    for (const path of paths) {
      const sut = realOccurrence();
      await path.test({
        events: Object.fromEntries(
          Object.entries(executors).map(([type, exec]) => [type, () => exec(sut)]),
        ),
        states: {
          '*': (state) => {
            const expected = String(state.value);
            expect(sut.state(), path.description).toBe(expected);
            // At most once: one claim, a handler only after it, one recording of either kind.
            expect(sut.counts.claims).toBeLessThanOrEqual(1);
            expect(sut.counts.runs).toBeLessThanOrEqual(sut.counts.claims);
            expect(sut.counts.records).toBeLessThanOrEqual(sut.counts.runs);
            expect(sut.counts.records + sut.counts.misses).toBeLessThanOrEqual(1);
            if (expected === 'lost') expect(sut.counts.runs).toBe(0);
            if (FINAL.has(expected)) expect(sut.clock.pending).toBe(0);
            // The table-stepped form took the same step, with the same effects.
            const snapshot = sut.actor.getSnapshot();
            expect(sut.stepper.value, path.description).toEqual(snapshot.value);
            expect(sut.stepper.done, path.description).toBe(snapshot.status === 'done');
            expect(sut.stepper.context, path.description).toEqual(snapshot.context);
            expect(sut.steppedCounts, path.description).toEqual(sut.counts);
          },
        },
      });
    }
  });
});
