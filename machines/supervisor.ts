import { assign, type SnapshotFrom, setup } from 'xstate';
import type { SchedulerStatus } from '../src/domain/types.js';

/**
 * Counts only. The supervisor is the parent of every live occurrence actor (they are created
 * into its actor system with it as their parent, so the inspector shows them under it and
 * their done events reach it), but it does not hold them in its snapshot's `children`: with
 * 100 000 occurrences, children in one parent's snapshot cost quadratic time (see
 * docs/architecture.md). The runtime reports what is armed and running as events.
 */
export type SupervisorContext = {
  /** Occurrences waiting for their time (far-future timer entries and armed actors). */
  pending: number;
  /** Occurrences whose handler is running. */
  active: number;
  /** Occurrence actors that reached a final state (counted from their done events). */
  finished: number;
};

export type SupervisorEvent =
  | { type: 'START' }
  | { type: 'PAUSE' }
  | { type: 'STOP' }
  /** The runtime let go of every occurrence after a `STOP`: nothing of it is left to report. */
  | { type: 'RELEASED' }
  | { type: 'CHECK_MISSED' }
  | { type: 'CLOCK_JUMPED'; expectedAt: number; observedAt: number; driftMs: number }
  | { type: 'COUNTS_CHANGED'; pending: number; active: number }
  /** An append failed for a reason of the store's (disk full, I/O, connection lost). */
  | { type: 'WRITE_FAILED' }
  /** The store accepted a write again (the probe recorded `scheduler.degraded`). */
  | { type: 'WRITE_RECOVERED' };

/**
 * The scheduler as a diagram: `idle` until the first `START`; `running` first records what
 * a store fault left unrecorded (`recordUnrecorded`), re-arms every future occurrence
 * (`armAll`) and then looks for missed ones (`checkMissed`) — the seed's order — on every
 * entry, including a `START` while already running; `paused` disarms every timer and ignores
 * missed-checks and clock jumps until `START`. `STOP` leads to `stopping`, which does what a
 * stop does and never leaves but for `stopped`, the final state, once the runtime let go of
 * every occurrence (`RELEASED`): occurrence actors that finish while the stop drains their
 * handlers report to a parent still there (counted), not to one that already ended, and a
 * `stopping` supervisor reads as `stopped`.
 *
 * A `CLOCK_JUMPED` (the timer queue saw the wall clock jump: sleep, suspension, clock
 * change) is recorded and leads to the same missed-check, without waiting for a restart.
 *
 * `running` is `healthy` or `degraded`: a `WRITE_FAILED` (the store refused an append for a
 * reason of its own) moves it to `degraded`, which probes the store with backoff
 * (`probeWrites`, until it is left: `stopProbing`) and triggers nothing by time;
 * `WRITE_RECOVERED` (a probe's write succeeded) records what could not be recorded, re-arms
 * and checks for missed occurrences, as a start does. Missed checks and clock jumps wait for
 * that check, so `degraded` ignores them.
 *
 * Every effect is a named no-op the runtime provides with `machine.provide(...)`: the
 * runtime's versions only note which job the transition asked for, and the runtime runs the
 * jobs in this order inside its command queue, so the machine stays free of I/O.
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
    probeWrites: () => {},
    stopProbing: () => {},
    recordUnrecorded: () => {},
    updateCounts: assign(({ event }) =>
      event.type === 'COUNTS_CHANGED' ? { pending: event.pending, active: event.active } : {},
    ),
    countFinished: assign({ finished: ({ context }) => context.finished + 1 }),
  },
}).createMachine({
  id: 'supervisor',
  context: { pending: 0, active: 0, finished: 0 },
  initial: 'idle',
  on: {
    COUNTS_CHANGED: { actions: 'updateCounts' },
    // An occurrence actor (a child in the system, not in the snapshot) reached a final state.
    'xstate.done.actor.*': { actions: 'countFinished' },
  },
  states: {
    idle: {
      on: {
        START: { target: 'running', actions: 'recordStarted' },
        STOP: { target: 'stopping' },
      },
    },
    running: {
      entry: ['recordUnrecorded', 'armAll', 'checkMissed'],
      initial: 'healthy',
      on: {
        START: { target: 'running', reenter: true },
        PAUSE: { target: 'paused' },
        STOP: { target: 'stopping' },
      },
      states: {
        healthy: {
          on: {
            CHECK_MISSED: { actions: 'checkMissed' },
            CLOCK_JUMPED: { actions: ['recordClockJump', 'checkMissed'] },
            WRITE_FAILED: { target: 'degraded' },
          },
        },
        degraded: {
          entry: 'probeWrites',
          exit: 'stopProbing',
          on: {
            WRITE_RECOVERED: {
              target: 'healthy',
              actions: ['recordUnrecorded', 'armAll', 'checkMissed'],
            },
          },
        },
      },
    },
    paused: {
      entry: ['disarmAll', 'recordPaused'],
      on: {
        START: { target: 'running', actions: 'recordStarted' },
        STOP: { target: 'stopping' },
      },
    },
    stopping: {
      entry: ['disarmAll', 'recordUnrecorded', 'recordStopped'],
      on: { RELEASED: { target: 'stopped' } },
    },
    stopped: { type: 'final' },
  },
});

export type SupervisorSnapshot = SnapshotFrom<typeof supervisorMachine>;

/**
 * The supervisor's current state as a status: its top-level state, with `running.degraded`
 * as `degraded`. Read on every claim and every arming, so it reads the value directly.
 */
export function statusOf(snapshot: SupervisorSnapshot): SchedulerStatus {
  const value = snapshot.value;
  if (value === 'stopping') return 'stopped';
  if (typeof value === 'string') return value;
  return value.running === 'degraded' ? 'degraded' : 'running';
}
