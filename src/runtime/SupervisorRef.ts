import { type Actor, createActor } from 'xstate';
import {
  type SupervisorEvent,
  type SupervisorStatus,
  statusOf,
  supervisorMachine,
} from '../../machines/supervisor.js';
import type { InspectOption } from './schedulerOptions.js';

/** One unit of asynchronous work a supervisor transition asked for, run in order by the caller. */
export type Job = () => Promise<void>;

/** The scheduler's implementations of the supervisor machine's named effects. */
export type SupervisorEffects = Readonly<{
  armAll: Job;
  disarmAll: () => void;
  checkMissed: Job;
  recordStarted: Job;
  recordPaused: Job;
  recordStopped: Job;
  recordClockJump: (jump: Readonly<{ expectedAt: number; observedAt: number }>) => Job;
}>;

/**
 * The live supervisor actor. Its transitions are synchronous; the effects that need the
 * log (appends, re-arming, the missed check) are collected as jobs that `send` returns, so
 * the scheduler runs them in the diagram's order inside its command queue.
 */
export class SupervisorRef {
  readonly #actor: Actor<typeof supervisorMachine>;
  #jobs: Job[] = [];

  constructor(effects: SupervisorEffects, inspect: InspectOption | undefined) {
    const later = (job: Job) => () => {
      this.#jobs.push(job);
    };
    const machine = supervisorMachine.provide({
      actions: {
        armAll: later(effects.armAll),
        disarmAll: () => effects.disarmAll(),
        checkMissed: later(effects.checkMissed),
        recordStarted: later(effects.recordStarted),
        recordPaused: later(effects.recordPaused),
        recordStopped: later(effects.recordStopped),
        recordClockJump: ({ event }) => {
          if (event.type === 'CLOCK_JUMPED') this.#jobs.push(effects.recordClockJump(event));
        },
      },
    });
    this.#actor = createActor(machine, inspect === undefined ? {} : { inspect });
    this.#actor.start();
  }

  get status(): SupervisorStatus {
    return statusOf(this.#actor.getSnapshot());
  }

  /** Sends an event and returns the jobs its transition asked for, in order. */
  send(event: SupervisorEvent): Job[] {
    this.#jobs = [];
    this.#actor.send(event);
    const jobs = this.#jobs;
    this.#jobs = [];
    return jobs;
  }

  /** Publishes the current counts (shown in the inspector). */
  counts(pending: number, active: number): void {
    const { context } = this.#actor.getSnapshot();
    if (context.pending !== pending || context.active !== active) {
      this.#actor.send({ type: 'COUNTS_CHANGED', pending, active });
    }
  }

  stop(): void {
    this.#actor.stop();
  }
}
