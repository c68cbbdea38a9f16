import { assign, type SnapshotFrom, setup } from 'xstate';

/**
 * Counts only. The supervisor does not own occurrence actors or their data: with 100 000
 * occurrences, children in one parent cost quadratic time (see docs/architecture.md), so the
 * runtime keeps pending occurrences as timer-queue entries and live actors in its own map,
 * and reports the totals here for the inspector.
 */
export type SupervisorContext = {
  /** Occurrences waiting for their time (timer-queue entries or armed actors). */
  pending: number;
  /** Occurrences whose handler is running. */
  active: number;
};

export type SupervisorEvent =
  | { type: 'START' }
  | { type: 'PAUSE' }
  | { type: 'STOP' }
  | { type: 'CHECK_MISSED' }
  | { type: 'CLOCK_JUMPED'; expectedAt: number; observedAt: number; driftMs: number }
  | { type: 'COUNTS_CHANGED'; pending: number; active: number };

/** The supervisor's top-level states. */
export type SupervisorStatus = 'idle' | 'running' | 'paused' | 'stopped';

/**
 * The scheduler as a diagram: `idle` until the first `START`; `running` re-arms every
 * future occurrence (`armAll`) and then looks for missed ones (`checkMissed`) — the seed's
 * order — on every entry, including a `START` while already running; `paused` disarms
 * every timer and ignores missed-checks and clock jumps until `START`; `stopped` is final.
 *
 * A `CLOCK_JUMPED` (the timer queue saw the wall clock jump: sleep, suspension, clock
 * change) is recorded and leads to the same missed-check, without waiting for a restart.
 *
 * Every effect is a named no-op the runtime provides with `machine.provide(...)`.
 */
export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
  },
  actions: {
    armAll: () => {},
    disarmAll: () => {},
    checkMissed: () => {},
    recordStarted: () => {},
    recordPaused: () => {},
    recordStopped: () => {},
    recordClockJump: () => {},
    updateCounts: assign(({ event }) =>
      event.type === 'COUNTS_CHANGED' ? { pending: event.pending, active: event.active } : {},
    ),
  },
}).createMachine({
  id: 'supervisor',
  context: { pending: 0, active: 0 },
  initial: 'idle',
  on: {
    COUNTS_CHANGED: { actions: 'updateCounts' },
  },
  states: {
    idle: {
      on: {
        START: { target: 'running', actions: 'recordStarted' },
        STOP: { target: 'stopped' },
      },
    },
    running: {
      entry: ['armAll', 'checkMissed'],
      on: {
        START: { target: 'running', reenter: true },
        PAUSE: { target: 'paused' },
        STOP: { target: 'stopped' },
        CHECK_MISSED: { actions: 'checkMissed' },
        CLOCK_JUMPED: { actions: ['recordClockJump', 'checkMissed'] },
      },
    },
    paused: {
      entry: ['disarmAll', 'recordPaused'],
      on: {
        START: { target: 'running', actions: 'recordStarted' },
        STOP: { target: 'stopped' },
      },
    },
    stopped: {
      type: 'final',
      entry: ['disarmAll', 'recordStopped'],
    },
  },
});

export type SupervisorSnapshot = SnapshotFrom<typeof supervisorMachine>;

/** The supervisor's current top-level state. */
export function statusOf(snapshot: SupervisorSnapshot): SupervisorStatus {
  return snapshot.value as SupervisorStatus;
}
