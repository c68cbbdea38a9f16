import type { StateValue } from 'xstate';
import type { TimerHandle } from '../../time/TimerQueue.js';
import type {
  MachineTable,
  TableAction,
  TableDelay,
  TableState,
  TableTransition,
} from './MachineTable.js';

/** The clock a stepper runs on, and its delays: the scheduler's timer queue. */
export type StepperClock = Readonly<{
  now(): number;
  schedule(dueAtMs: number, callback: (handle: TimerHandle) => void): TimerHandle;
  cancel(handle: TimerHandle): boolean;
}>;

/** How many eventless transitions one step may take before the machine counts as looping. */
const MAX_EVENTLESS = 100;

/**
 * One run of a machine compiled by `compileMachineTable`, stepped without an actor: the
 * same states, guards, actions and delays in the same order as XState's interpreter takes
 * them (exit actions deepest first, then the transition's, then entry actions outermost
 * first; then eventless transitions until none is enabled), with the context updated in
 * place and `after` delays on the given clock. `onStep` hears every step once it settled,
 * as an actor's observer hears each snapshot. Events sent while a step runs are queued, and
 * events after the machine ended are ignored, as an actor does.
 */
export class MachineStepper<C extends object, E extends { type: string }> {
  readonly #table: MachineTable<C, E>;
  readonly #context: C;
  readonly #clock: StepperClock;
  readonly #onStep: () => void;
  #state: TableState<C, E> | undefined;
  #done = false;
  #stepping = false;
  #queued: E[] | undefined;
  /** Pending delayed events, with the state whose exit cancels each. */
  #delayed: Array<{ state: TableState<C, E>; handle: TimerHandle }> | undefined;

  constructor(table: MachineTable<C, E>, context: C, clock: StepperClock, onStep: () => void) {
    this.#table = table;
    this.#context = context;
    this.#clock = clock;
    this.#onStep = onStep;
  }

  /** The context, as the last step left it. */
  get context(): Readonly<C> {
    return this.#context;
  }

  /** The state value XState would report (e.g. `{ scheduled: 'armed' }`). */
  get value(): StateValue {
    return this.#current().value;
  }

  /** The key of the atomic state the machine is in; once done, its final state's key. */
  get stateKey(): string {
    return this.#current().key;
  }

  /** True once the machine reached a top-level final state. */
  get done(): boolean {
    return this.#done;
  }

  /** Enters the initial states and takes any eventless transitions from there. */
  start(): void {
    if (this.#state !== undefined) return;
    const start = this.#table.start;
    this.#state = start[start.length - 1];
    this.#run(() => {
      const event = { type: 'xstate.init' } as E;
      this.#enter(start, event);
      this.#settle(event);
    });
  }

  send(event: E): void {
    if (this.#done || this.#state === undefined) return;
    if (this.#stepping) {
      if (this.#queued === undefined) this.#queued = [event];
      else this.#queued.push(event);
      return;
    }
    this.#run(() => {
      const transition = this.#select(this.#state!.on.get(event.type), event);
      if (transition === undefined) return;
      this.#take(transition, event);
      this.#settle(event);
    });
  }

  #current(): TableState<C, E> {
    const state = this.#state;
    if (state === undefined) throw new Error('machine stepper: not started');
    return state;
  }

  /** Runs one step, then the events it queued, telling `onStep` after each. */
  #run(step: () => void): void {
    this.#stepping = true;
    try {
      step();
    } finally {
      this.#stepping = false;
    }
    this.#onStep();
    const queued = this.#queued;
    if (queued === undefined) return;
    this.#queued = undefined;
    for (const event of queued) this.send(event);
  }

  #select(
    candidates: readonly TableTransition<C, E>[] | undefined,
    event: E,
  ): TableTransition<C, E> | undefined {
    if (candidates === undefined) return undefined;
    for (const transition of candidates) {
      if (transition.guard === undefined || transition.guard(this.#context, event)) {
        return transition;
      }
    }
    return undefined;
  }

  /** Eventless transitions, until none is enabled or the machine ended. */
  #settle(event: E): void {
    for (let taken = 0; !this.#done; taken++) {
      const transition = this.#select(this.#state!.always, event);
      if (transition === undefined) return;
      if (taken === MAX_EVENTLESS) {
        throw new Error(`machine stepper: eventless transitions loop at ${this.#state!.id}`);
      }
      this.#take(transition, event);
    }
  }

  #take(transition: TableTransition<C, E>, event: E): void {
    const path = this.#state!.path;
    for (let i = path.length - 1; i > transition.domainDepth; i--) this.#exit(path[i]!, event);
    this.#runActions(transition.actions, event);
    this.#state = transition.leaf;
    this.#enter(transition.enter, event);
  }

  #exit(state: TableState<C, E>, event: E): void {
    this.#runActions(state.exit, event);
    const delayed = this.#delayed;
    if (delayed === undefined || state.after.length === 0) return;
    for (let i = delayed.length - 1; i >= 0; i--) {
      const entry = delayed[i]!;
      if (entry.state !== state) continue;
      this.#clock.cancel(entry.handle);
      delayed.splice(i, 1);
    }
  }

  #enter(states: readonly TableState<C, E>[], event: E): void {
    for (const state of states) {
      this.#runActions(state.entry, event);
      for (const after of state.after) this.#schedule(state, after.delay, after.eventType);
      if (state.final) {
        this.#end();
        return;
      }
    }
  }

  #schedule(state: TableState<C, E>, delay: TableDelay<C>, type: string): void {
    const now = this.#clock.now();
    const handle = this.#clock.schedule(now + delay(this.#context, now), () => {
      const delayed = this.#delayed;
      if (delayed !== undefined) {
        const at = delayed.findIndex((entry) => entry.handle === handle);
        if (at >= 0) delayed.splice(at, 1);
      }
      this.send({ type } as E);
    });
    if (this.#delayed === undefined) this.#delayed = [{ state, handle }];
    else this.#delayed.push({ state, handle });
  }

  #end(): void {
    this.#done = true;
    this.#queued = undefined;
    const delayed = this.#delayed;
    this.#delayed = undefined;
    if (delayed !== undefined) for (const { handle } of delayed) this.#clock.cancel(handle);
  }

  #runActions(actions: readonly TableAction<C, E>[], event: E): void {
    if (actions.length === 0) return;
    const now = this.#clock.now();
    for (const action of actions) {
      const changes = action(this.#context, event, now, this.#answer);
      if (changes !== undefined) Object.assign(this.#context, changes);
    }
  }

  /** How actions answer later: as an event to this machine. */
  readonly #answer = (event: E): void => this.send(event);
}
