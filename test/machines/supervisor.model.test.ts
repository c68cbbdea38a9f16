/**
 * Model-based test of the supervisor's pause/resume and degraded semantics together with the
 * timer queue. The abstract model is a tiny world of two occurrences (due at +1 s and +2.5 s,
 * grace 1.5 s) where time moves only by ADVANCE (1 s) and JUMP (the wall clock leaps 10 s,
 * as after a sleep), and the store can refuse writes (WRITE_FAILED) and accept them again
 * (WRITE_RECOVERED): while degraded a timer that fires is refused (its occurrence stays
 * pending) and the recovery's missed check settles it. Every generated path is replayed
 * against the REAL supervisor machine driving a TimerQueue on a TestClock; after each step
 * the supervisor state, each occurrence's fate, the recorded clock jumps and the live timers
 * (the store probe's included) must match the model.
 */
import { describe, expect, it } from 'vitest';
import { assign, createActor, setup } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { statusOf, supervisorMachine } from '../../machines/supervisor.js';
import { TestClock } from '../../src/testing/index.js';
import { TimerQueue } from '../../src/time/TimerQueue.js';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const GRACE_MS = 1_500;
const STEP_MS = 1_000;
const JUMP_MS = 10_000;
const DUE = { a: 1_000, b: 2_500 } as const;
type Id = keyof typeof DUE;
type Fate = 'pending' | 'triggered' | 'recovered';
type World = { t: number; a: Fate; b: Fate; jumps: number };
const IDS: readonly Id[] = ['a', 'b'];
/** Keeps the model finite: time stops being offered past this (ms since T0). */
const HORIZON_MS = 24_000;

/** Seed rule: late by at most grace → trigger now, beyond grace → recovery. */
const fateAt = (id: Id, now: number): Fate =>
  now - DUE[id] <= GRACE_MS ? 'triggered' : 'recovered';

/** What `checkMissed` does: every pending occurrence already due gets its fate. */
const checkMissed = (w: World): World => {
  const next = { ...w };
  for (const id of IDS) if (next[id] === 'pending' && DUE[id] <= w.t) next[id] = fateAt(id, w.t);
  return next;
};

const model = setup({
  types: {
    context: {} as World,
    events: {} as {
      type: 'START' | 'PAUSE' | 'STOP' | 'ADVANCE' | 'JUMP' | 'WRITE_FAILED' | 'WRITE_RECOVERED';
    },
  },
  actions: {
    startChecks: assign(({ context }) => checkMissed(context)),
    // Running: timers fire on time as the clock passes them.
    advanceRunning: assign(({ context }) => {
      const t = context.t + STEP_MS;
      const next = { ...context, t };
      for (const id of IDS)
        if (next[id] === 'pending' && DUE[id] <= t) next[id] = fateAt(id, DUE[id]);
      return next;
    }),
    // Running: the queue notices the leap (it had a timer armed), reports it, and the
    // missed-check settles everything the leap overran.
    jumpRunning: assign(({ context }) => {
      const armed = IDS.some((id) => context[id] === 'pending');
      const next = checkMissed({ ...context, t: context.t + JUMP_MS });
      return armed ? { ...next, jumps: next.jumps + 1 } : next;
    }),
    // Idle, paused, stopped or degraded: time passes, nothing fires (degraded: a timer that
    // fires is refused, and its occurrence stays pending for the recovery's missed check).
    advanceIdle: assign({ t: ({ context }) => context.t + STEP_MS }),
    jumpIdle: assign({ t: ({ context }) => context.t + JUMP_MS }),
  },
}).createMachine({
  id: 'supervisorModel',
  context: { t: 0, a: 'pending', b: 'pending', jumps: 0 },
  initial: 'idle',
  states: {
    idle: {
      on: {
        START: { target: 'running', actions: 'startChecks' },
        STOP: 'stopped',
        ADVANCE: { actions: 'advanceIdle' },
        JUMP: { actions: 'jumpIdle' },
      },
    },
    running: {
      on: {
        START: { actions: 'startChecks' },
        PAUSE: 'paused',
        STOP: 'stopped',
        ADVANCE: { actions: 'advanceRunning' },
        JUMP: { actions: 'jumpRunning' },
        WRITE_FAILED: 'degraded',
      },
    },
    degraded: {
      on: {
        START: { target: 'running', actions: 'startChecks' },
        WRITE_RECOVERED: { target: 'running', actions: 'startChecks' },
        PAUSE: 'paused',
        STOP: 'stopped',
        ADVANCE: { actions: 'advanceIdle' },
        JUMP: { actions: 'jumpIdle' },
      },
    },
    paused: {
      on: {
        START: { target: 'running', actions: 'startChecks' },
        STOP: 'stopped',
        ADVANCE: { actions: 'advanceIdle' },
        JUMP: { actions: 'jumpIdle' },
        // Only a running, healthy scheduler turns degraded; a recovery changes nothing here.
        WRITE_FAILED: {},
        WRITE_RECOVERED: {},
      },
    },
    // Not final in the model, so the paths also prove time passing after STOP fires nothing.
    stopped: { on: { ADVANCE: { actions: 'advanceIdle' } } },
  },
});

/** The real supervisor, providing effects that run on a TimerQueue over a TestClock. */
function realScheduler() {
  const clock = new TestClock(T0);
  const fates: Record<Id, Fate> = { a: 'pending', b: 'pending' };
  let jumps = 0;
  const decide = (id: Id): void => {
    fates[id] = fateAt(id, clock.now() - T0);
  };
  // What the runtime's claim does: refused unless running healthy.
  const fire = (id: Id): void => {
    if (statusOf(actor.getSnapshot()) === 'running') decide(id);
  };
  const queue = new TimerQueue({
    clock,
    onClockJump: (jump) => actor.send({ type: 'CLOCK_JUMPED', ...jump }),
  });
  const machine = supervisorMachine.provide({
    actions: {
      armAll: () => {
        for (const id of IDS) {
          const due = T0 + DUE[id];
          if (fates[id] === 'pending' && due > clock.now()) queue.schedule(due, () => fire(id), id);
        }
      },
      disarmAll: () => queue.clear(),
      checkMissed: () => {
        for (const id of IDS) {
          if (fates[id] === 'pending' && T0 + DUE[id] <= clock.now()) {
            queue.cancelKey(id);
            decide(id);
          }
        }
      },
      recordClockJump: () => {
        jumps++;
      },
      // The store probe is one more timer while degraded; leaving degraded cancels it.
      probeWrites: () => {
        queue.schedule(clock.now() + 100, () => {}, 'probe');
      },
      stopProbing: () => {
        queue.cancelKey('probe');
      },
    },
  });
  const actor = createActor(machine).start();
  const world = (): World => ({ t: clock.now() - T0, a: fates.a, b: fates.b, jumps });
  return { clock, queue, actor, world };
}

describe('supervisor with the timer queue (model-based)', () => {
  const testModel = createTestModel(model);
  const paths = testModel.getShortestPaths({
    filterEvents: (snapshot, event) =>
      !(event.type === 'ADVANCE' || event.type === 'JUMP') ||
      snapshot.context.t + (event.type === 'JUMP' ? JUMP_MS : STEP_MS) <= HORIZON_MS,
  });

  it('generates paths through every supervisor state and fate', () => {
    const visited = new Set(
      paths.flatMap((p) =>
        p.steps.map((s) => `${String(s.state.value)}:${s.state.context.a}/${s.state.context.b}`),
      ),
    );
    expect(paths.length).toBeGreaterThan(100);
    expect(visited).toContain('idle:pending/pending');
    for (const state of ['running', 'paused', 'stopped']) {
      for (const fates of ['pending/pending', 'triggered/pending', 'triggered/triggered']) {
        expect(visited).toContain(`${state}:${fates}`);
      }
    }
    for (const fates of ['recovered/triggered', 'recovered/recovered', 'triggered/recovered']) {
      expect(visited).toContain(`running:${fates}`);
    }
    // Degraded with both still pending past their time, and the recovery settling them.
    expect(visited).toContain('degraded:pending/pending');
    expect(visited).toContain('degraded:triggered/pending');
  });

  it('every generated path holds on the real supervisor, timer queue and clock', async () => {
    for (const path of paths) {
      const sut = realScheduler();
      await path.test({
        events: {
          START: () => sut.actor.send({ type: 'START' }),
          PAUSE: () => sut.actor.send({ type: 'PAUSE' }),
          STOP: () => sut.actor.send({ type: 'STOP' }),
          ADVANCE: () => {
            sut.clock.advance(STEP_MS);
          },
          JUMP: () => {
            sut.clock.jump(JUMP_MS);
            sut.clock.runDue();
          },
          WRITE_FAILED: () => sut.actor.send({ type: 'WRITE_FAILED' }),
          WRITE_RECOVERED: () => sut.actor.send({ type: 'WRITE_RECOVERED' }),
        },
        states: {
          '*': (state) => {
            expect(statusOf(sut.actor.getSnapshot()), path.description).toBe(state.value);
            expect(sut.world(), path.description).toEqual(state.context);
            if (state.value !== 'running' && state.value !== 'degraded') {
              expect(sut.queue.size).toBe(0);
              expect(sut.clock.pending).toBe(0);
            }
          },
        },
      });
    }
  });
});
