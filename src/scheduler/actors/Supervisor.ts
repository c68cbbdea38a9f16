import { type Actor, type AnyActorRef, createActor } from 'xstate';
import { type SupervisorEvent, statusOf, supervisorMachine } from '../../../machines/supervisor.js';
import type { SchedulerStatus } from '../../domain/types.js';
import type { SchedulerLifecycleType } from '../../log/facts.js';
import type { Clock } from '../../time/Clock.js';
import type { InspectOption } from '../schedulerOptions.js';
import { indexScheduledEvents } from './indexScheduledEvents.js';

/** One unit of work a supervisor transition asked for, as a value the runtime carries out. */
export type SupervisorJob =
  | Readonly<{ type: 'armAll' }>
  | Readonly<{ type: 'disarmAll' }>
  | Readonly<{ type: 'checkMissed' }>
  | Readonly<{ type: 'record'; fact: SchedulerLifecycleType }>
  | Readonly<{ type: 'recordClockJump'; expectedAt: number; observedAt: number }>
  | Readonly<{ type: 'probeWrites' }>
  | Readonly<{ type: 'stopProbing' }>
  | Readonly<{ type: 'recordUnrecorded' }>;

/**
 * The live supervisor actor: the root of the scheduler's actor system and the parent of every
 * occurrence actor. Its transitions are synchronous and do no I/O; each named effect only
 * notes the job it stands for, and {@link send} returns those jobs in the diagram's order for
 * the runtime to carry out inside its command queue.
 */
export class Supervisor {
  readonly #actor: Actor<typeof supervisorMachine>;
  #jobs: SupervisorJob[] = [];

  constructor(options: Readonly<{ clock: Clock; inspect: InspectOption | undefined }>) {
    const note = (job: SupervisorJob) => () => {
      this.#jobs.push(job);
    };
    const machine = supervisorMachine.provide({
      actions: {
        armAll: note({ type: 'armAll' }),
        disarmAll: note({ type: 'disarmAll' }),
        checkMissed: note({ type: 'checkMissed' }),
        recordStarted: note({ type: 'record', fact: 'scheduler.started' }),
        recordPaused: note({ type: 'record', fact: 'scheduler.paused' }),
        recordStopped: note({ type: 'record', fact: 'scheduler.stopped' }),
        probeWrites: note({ type: 'probeWrites' }),
        stopProbing: note({ type: 'stopProbing' }),
        recordUnrecorded: note({ type: 'recordUnrecorded' }),
        recordClockJump: ({ event }) => {
          if (event.type !== 'CLOCK_JUMPED') return;
          const { expectedAt, observedAt } = event;
          this.#jobs.push({ type: 'recordClockJump', expectedAt, observedAt });
        },
      },
    });
    // Occurrence actors take their clock from the system they join, so the supervisor's
    // clock (the scheduler's timer queue) is theirs too.
    this.#actor = createActor(machine, {
      clock: options.clock,
      ...(options.inspect === undefined ? {} : { inspect: options.inspect }),
    });
    // Its children share its system's scheduler; keep stopping one of them cheap.
    indexScheduledEvents(this.#actor.system);
    this.#actor.start();
  }

  /** The actor occurrence actors are created under (`createActor(logic, { parent })`). */
  get ref(): AnyActorRef {
    return this.#actor;
  }

  get status(): SchedulerStatus {
    return statusOf(this.#actor.getSnapshot());
  }

  /** Sends an event and returns the jobs its transition asked for, in order. */
  send(event: SupervisorEvent): SupervisorJob[] {
    this.#jobs = [];
    this.#actor.send(event);
    const jobs = this.#jobs;
    this.#jobs = [];
    return jobs;
  }

  /** Tells the supervisor how many occurrences are armed and running (shown in the inspector). */
  counts(pending: number, active: number): void {
    const { context, status } = this.#actor.getSnapshot();
    // A turn's counts may come after the scheduler stopped: the supervisor has ended then.
    if (status !== 'active') return;
    if (context.pending !== pending || context.active !== active) {
      this.#actor.send({ type: 'COUNTS_CHANGED', pending, active });
    }
  }

  /**
   * Ends the supervisor once the runtime let go of every occurrence (after `STOP`): it
   * reaches its final state only then, so no occurrence actor reports to an ended parent.
   */
  stop(): void {
    this.#actor.send({ type: 'RELEASED' });
    this.#actor.stop();
  }
}
