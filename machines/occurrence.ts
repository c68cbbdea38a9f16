import { assign, type SnapshotFrom, setup } from 'xstate';
import type { Occurrence, RunOutcome, Task } from '../src/domain/types.js';

/** What an occurrence actor is created with. */
export type OccurrenceActorInput = Readonly<{
  occurrence: Occurrence;
  /** Due time, epoch ms. @default Date.parse(occurrence.scheduledFor) */
  dueAtMs?: number;
  /** How late a timer may fire and still trigger rather than count as missed. @default 30_000 */
  graceMs?: number;
}>;

/** How the runtime answered a request to trigger. */
export type ClaimResult =
  /**
   * `occurrence.triggered` was recorded: run the handler with this key, for the task as it
   * was defined when the trigger was decided (none when it was removed meanwhile).
   */
  | Readonly<{ kind: 'granted'; idempotencyKey: string; task?: Task }>
  /** Someone else triggered it first, or it is no longer pending: do nothing. */
  | Readonly<{ kind: 'lost' }>
  /** The scheduler is paused or stopped: do nothing. */
  | Readonly<{ kind: 'refused' }>
  /** Too late by the time the claim was decided: recorded missed, and recovered or retried. */
  | Readonly<{ kind: 'missed'; state: MissedState }>;

export type OccurrenceContext = {
  occurrence: Occurrence;
  dueAtMs: number;
  graceMs: number;
  /** Clock time when the due timer fired (decides trigger vs. missed). */
  firedAtMs: number | undefined;
  /** How late the trigger (or the miss) was relative to `dueAtMs`. */
  lateByMs: number;
  /** True when triggered by hand (`TRIGGER_NOW` with `manual`), which skips the grace check. */
  manual: boolean;
  /** How the runtime answered the request to trigger, once it did. */
  claim: ClaimResult | undefined;
  /** The granted claim's idempotency key, once triggered. */
  idempotencyKey: string | undefined;
  /** The handler run's outcome, once it finished. */
  outcome: RunOutcome | undefined;
};

/** What the runtime's effects answer, sent back to the actor that asked. */
export type EffectEvent =
  /** The answer to `claim`. */
  | { type: 'CLAIM_ANSWERED'; claim: ClaimResult }
  /** The handler run finished (a run never rejects: a failure is an outcome). */
  | { type: 'RUN_SETTLED'; outcome: RunOutcome }
  /** The outcome or the miss was recorded; `state` is the occurrence's final state. */
  | { type: 'RECORDED'; state: RecordedOutcome | MissedState }
  /** An effect threw (e.g. the store failed): nobody can say what became of it. */
  | { type: 'EFFECT_FAILED'; error: unknown };

/** What the runtime tells a waiting occurrence's actor. */
export type OccurrenceEvent =
  /** The scheduler paused: stop waiting on the clock until `RESUME`. */
  | { type: 'PAUSE' }
  /** The scheduler started again: wait for the due time again (at once if it passed). */
  | { type: 'RESUME' }
  /** The occurrence was recorded cancelled (by the user, or its task changed or went). */
  | { type: 'CANCEL' }
  /**
   * The runtime let go of the actor without a fact of the occurrence's own: the calendar
   * rejected it on re-planning (recorded skipped), or the scheduler is stopping (it stays
   * scheduled in the log and is armed again at the next start).
   */
  | { type: 'RELEASE' }
  /** Trigger now: `manual` (the default) by a user; otherwise a due-now occurrence. */
  | { type: 'TRIGGER_NOW'; manual?: boolean }
  /** The missed check recorded the occurrence missed while it waited (its timer never woke). */
  | { type: 'MISSED'; lateByMs?: number }
  | EffectEvent;

/** The final states: the occurrence's last `ExecutionState` (plus `lost`). */
export type OccurrenceOutcome =
  | 'done'
  | 'failed'
  | 'missed'
  | 'retrying'
  | 'recurred'
  | 'recovered'
  | 'cancelled'
  | 'released'
  | 'lost';

/** The final state recording a run's outcome leads to. */
export type RecordedOutcome = 'done' | 'failed' | 'retrying' | 'recurred';
/** The final state recording a miss leads to: just missed, or followed by a recovery or retry. */
export type MissedState = 'missed' | 'recovered' | 'retrying';

/**
 * What each effect is given. Every input carries the occurrence, so the runtime provides
 * the effects once per scheduler (one machine for all its occurrences, whose transition
 * caches stay warm) rather than once per occurrence.
 */
export type ClaimInput = Readonly<{ occurrence: Occurrence; manual: boolean; lateByMs: number }>;
export type RunInput = Readonly<{
  occurrence: Occurrence;
  idempotencyKey: string;
  task: Task | undefined;
}>;
export type RecordInput = Readonly<{ occurrence: Occurrence; outcome: RunOutcome }>;
export type MissInput = Readonly<{ occurrence: Occurrence; lateByMs: number }>;

/**
 * The four asynchronous steps of an occurrence, as the runtime implements them. The machine
 * starts each on entering its state and moves on when it answers (an {@link EffectEvent});
 * a rejection ends the occurrence `lost`.
 */
export type OccurrenceEffects = Readonly<{
  /** Asks to record `occurrence.triggered`. */
  claim(input: ClaimInput): Promise<ClaimResult>;
  /** Runs the task's handler; settles with the outcome, failures included. */
  run(input: RunInput): Promise<RunOutcome>;
  /** Records the outcome and its follow-up; answers with the final state. */
  record(input: RecordInput): Promise<RecordedOutcome>;
  /** Records a miss and its recovery; answers with the final state. */
  recordMiss(input: MissInput): Promise<MissedState>;
}>;

/** What the machine does on its own: every claim granted, every run ok, every miss missed. */
const standaloneEffects: OccurrenceEffects = {
  claim: async () => ({ kind: 'granted', idempotencyKey: '' }),
  run: async () => ({ ok: true, durationMs: 0 }),
  record: async ({ outcome }) => (outcome.ok ? 'done' : 'failed'),
  recordMiss: async () => 'missed',
};

/** The machine's effect actions, by name. */
export type EffectName = 'claim' | 'run' | 'record' | 'recordMiss';

/**
 * Starts one effect for the occurrence whose context this is; `answer` receives the event
 * the machine moves on with (the effect's answer, or `EFFECT_FAILED`).
 */
export type EffectStarter = (
  context: OccurrenceContext,
  answer: (event: OccurrenceEvent) => void,
) => void;

/**
 * The four effects as starters: each builds its effect's input from the context, starts
 * it, and hands the answer back as an event. The machine's named effect actions are these
 * (see {@link withEffects}), and so are the actions a stepped occurrence runs.
 */
export function effectStarters(effects: OccurrenceEffects): Record<EffectName, EffectStarter> {
  return {
    claim: (context, answer) =>
      startEffect(
        () =>
          effects.claim({
            occurrence: context.occurrence,
            manual: context.manual,
            lateByMs: context.lateByMs,
          }),
        (claim) => ({ type: 'CLAIM_ANSWERED', claim }),
        answer,
      ),
    run: (context, answer) =>
      startEffect(
        () =>
          effects.run({
            occurrence: context.occurrence,
            idempotencyKey: context.idempotencyKey ?? '',
            task: context.claim?.kind === 'granted' ? context.claim.task : undefined,
          }),
        (outcome) => ({ type: 'RUN_SETTLED', outcome }),
        answer,
      ),
    record: (context, answer) =>
      startEffect(
        () =>
          effects.record({
            occurrence: context.occurrence,
            outcome: context.outcome ?? { ok: true, durationMs: 0 },
          }),
        (state) => ({ type: 'RECORDED', state }),
        answer,
      ),
    recordMiss: (context, answer) =>
      startEffect(
        () => effects.recordMiss({ occurrence: context.occurrence, lateByMs: context.lateByMs }),
        (state) => ({ type: 'RECORDED', state }),
        answer,
      ),
  };
}

/** The part of an action's arguments the effect actions use. */
type EffectArgs = {
  context: OccurrenceContext;
  self: {
    send(event: OccurrenceEvent): void;
    getSnapshot(): { status: string };
  };
};

/**
 * The effects as the machine's four named actions. Each starts its step and sends the
 * answer back as an event, unless the actor stopped meanwhile (the answer has nobody to go
 * to; what was recorded stays in the log). Effects are actions rather than invoked actors
 * because an invoked actor per step cost three child actors per trigger: measured, twice
 * the CPU and the garbage of this.
 */
function effectActions(effects: OccurrenceEffects) {
  const starters = effectStarters(effects);
  const bind =
    (start: EffectStarter) =>
    ({ context, self }: EffectArgs) =>
      start(context, (event) => {
        if (self.getSnapshot().status === 'active') self.send(event);
      });
  return {
    claim: bind(starters.claim),
    run: bind(starters.run),
    record: bind(starters.record),
    recordMiss: bind(starters.recordMiss),
  };
}

/** Starts one step and hands its answer (or `EFFECT_FAILED`, when it throws or rejects) on. */
function startEffect<T>(
  step: () => Promise<T>,
  toEvent: (value: T) => OccurrenceEvent,
  answer: (event: OccurrenceEvent) => void,
): void {
  let running: Promise<T>;
  try {
    running = step();
  } catch (error) {
    running = Promise.reject(error);
  }
  running.then(
    (value) => answer(toEvent(value)),
    (error: unknown) => answer({ type: 'EFFECT_FAILED', error }),
  );
}

/**
 * Wall time from the clock the actor runs on. Guards cannot see the clock, so the actions
 * that need the time stamp it into context first. XState's own default clock has no `now()`;
 * then the host's `Date.now()` is the same time its real timers run on.
 */
const clockNow = (system: { readonly _clock: object }): number => {
  const clock: { now?: unknown } = system._clock;
  return typeof clock.now === 'function' ? (clock.now as () => number)() : Date.now();
};

const recorded =
  (state: RecordedOutcome | MissedState) =>
  (_context: OccurrenceContext, event: OccurrenceEvent): boolean =>
    event.type === 'RECORDED' && event.state === state;

const claimOf = (event: OccurrenceEvent): ClaimResult | undefined =>
  event.type === 'CLAIM_ANSWERED' ? event.claim : undefined;

/** An occurrence's context when its actor (or its stepped run) starts. */
export function occurrenceContext(input: OccurrenceActorInput): OccurrenceContext {
  return {
    occurrence: input.occurrence,
    dueAtMs: input.dueAtMs ?? Date.parse(input.occurrence.scheduledFor),
    graceMs: input.graceMs ?? 30_000,
    firedAtMs: undefined,
    lateByMs: 0,
    manual: false,
    claim: undefined,
    idempotencyKey: undefined,
    outcome: undefined,
  };
}

/** A guard of the machine as a plain function of the context and the event. */
export type OccurrenceGuard = (context: OccurrenceContext, event: OccurrenceEvent) => boolean;

/**
 * The machine's guards, by the names its transitions use. The XState machine below wraps
 * each; a stepped occurrence calls them as they are.
 */
export const occurrenceGuards = {
  isBeyondGrace: (context) =>
    (context.firedAtMs ?? context.dueAtMs) - context.dueAtMs > context.graceMs,
  claimGranted: (_context, event) => claimOf(event)?.kind === 'granted',
  claimMissedAndRecovered: (_context, event) => {
    const claim = claimOf(event);
    return claim?.kind === 'missed' && claim.state === 'recovered';
  },
  claimMissedAndRetried: (_context, event) => {
    const claim = claimOf(event);
    return claim?.kind === 'missed' && claim.state === 'retrying';
  },
  claimMissed: (_context, event) => claimOf(event)?.kind === 'missed',
  recordedFailed: recorded('failed'),
  recordedRetrying: recorded('retrying'),
  recordedRecurred: recorded('recurred'),
  recordedRecovered: recorded('recovered'),
} as const satisfies Record<string, OccurrenceGuard>;

/**
 * A context update of the machine as a plain function: the fields it changes, given the
 * context, the event and the time on the occurrence's clock.
 */
export type OccurrenceUpdate = (
  context: OccurrenceContext,
  event: OccurrenceEvent,
  now: number,
) => Partial<OccurrenceContext>;

/**
 * The machine's context updates, by the names its states and transitions use. The XState
 * machine runs each through `assign`; a stepped occurrence merges what they return.
 */
export const occurrenceUpdates = {
  markDue: (_context, _event, now) => ({ firedAtMs: now }),
  markTriggered: (context, event, now) => ({
    manual: event.type === 'TRIGGER_NOW' && event.manual !== false,
    lateByMs: Math.max(0, now - context.dueAtMs),
  }),
  markClaim: (_context, event) => {
    const claim = claimOf(event);
    return {
      claim,
      idempotencyKey: claim?.kind === 'granted' ? claim.idempotencyKey : undefined,
    };
  },
  markOutcome: (_context, event) => ({
    outcome: event.type === 'RUN_SETTLED' ? event.outcome : undefined,
  }),
  markMissed: (context, event, now) => ({
    lateByMs:
      event.type === 'MISSED' && event.lateByMs !== undefined
        ? event.lateByMs
        : Math.max(0, now - context.dueAtMs),
  }),
} as const satisfies Record<string, OccurrenceUpdate>;

/** The machine's named delays, in ms from `now` on the occurrence's clock. */
export const occurrenceDelays = {
  untilDue: (context: OccurrenceContext, now: number) => Math.max(0, context.dueAtMs - now),
} as const;

type XStateArgs = {
  context: OccurrenceContext;
  event: OccurrenceEvent;
  system: { readonly _clock: object };
};
const asGuard =
  (guard: OccurrenceGuard) =>
  ({ context, event }: { context: OccurrenceContext; event: OccurrenceEvent }) =>
    guard(context, event);
const asAssign = (update: OccurrenceUpdate) =>
  assign<OccurrenceContext, OccurrenceEvent, undefined, OccurrenceEvent, never>(
    ({ context, event, system }: XStateArgs) => update(context, event, clockNow(system)),
  );

/**
 * The lifecycle of ONE occurrence, as a diagram:
 *
 * `scheduled` (`armed` ⇄ `paused`) waits on the actor's clock (`untilDue`); when the timer
 * fires, `due` decides: late beyond grace → `overdue`, else → `triggered`. `triggered` first
 * `claiming`: the `claim` effect asks the runtime, which appends `occurrence.triggered`
 * only if the occurrence is still pending and the store accepts it (the store refuses a
 * second trigger of the same occurrence). Only a granted claim goes on to `running`, whose
 * `run` effect runs the handler; anything else ends without running the handler — so a
 * handler runs at most once per occurrence, across actors and instances. `triggered` has no
 * way back.
 *
 * `recording` hands the run's outcome to the `record` effect, which appends it together with
 * the follow-up the planners chose, and answers with the final state: `done`, `failed`,
 * `retrying` or `recurred`. `overdue` does the same for a miss through `recordMiss`:
 * `missed`, `recovered` or `retrying` (reached from `due`, or by `MISSED` when the missed
 * check found a waiting occurrence late). `cancelled` ends a not-yet-triggered occurrence;
 * `released` ends the actor of one the runtime lets go of without a fact of its own (skipped
 * on re-planning, or the scheduler stopping). An effect that throws ends the occurrence
 * `lost`.
 *
 * The machine does no I/O: each effect is a named entry action that starts the step and
 * sends its answer back as an {@link EffectEvent}. On its own the machine grants every claim
 * and completes every run; the runtime binds real effects once per scheduler with
 * {@link withEffects}. A handler timeout lives inside `run` (its outcome is a failure marked
 * `timedOut`).
 */
export const occurrenceMachine = setup({
  types: {
    context: {} as OccurrenceContext,
    events: {} as OccurrenceEvent,
    input: {} as OccurrenceActorInput,
  },
  delays: {
    untilDue: ({ context, system }) => occurrenceDelays.untilDue(context, clockNow(system)),
  },
  guards: {
    isBeyondGrace: asGuard(occurrenceGuards.isBeyondGrace),
    claimGranted: asGuard(occurrenceGuards.claimGranted),
    claimMissedAndRecovered: asGuard(occurrenceGuards.claimMissedAndRecovered),
    claimMissedAndRetried: asGuard(occurrenceGuards.claimMissedAndRetried),
    claimMissed: asGuard(occurrenceGuards.claimMissed),
    recordedFailed: asGuard(occurrenceGuards.recordedFailed),
    recordedRetrying: asGuard(occurrenceGuards.recordedRetrying),
    recordedRecurred: asGuard(occurrenceGuards.recordedRecurred),
    recordedRecovered: asGuard(occurrenceGuards.recordedRecovered),
  },
  actions: {
    ...effectActions(standaloneEffects),
    markDue: asAssign(occurrenceUpdates.markDue),
    markTriggered: asAssign(occurrenceUpdates.markTriggered),
    markClaim: asAssign(occurrenceUpdates.markClaim),
    markOutcome: asAssign(occurrenceUpdates.markOutcome),
    markMissed: asAssign(occurrenceUpdates.markMissed),
  },
}).createMachine({
  id: 'occurrence',
  context: ({ input }) => occurrenceContext(input),
  initial: 'scheduled',
  states: {
    scheduled: {
      initial: 'armed',
      on: {
        CANCEL: { target: 'cancelled' },
        RELEASE: { target: 'released' },
        TRIGGER_NOW: { target: 'triggered' },
        MISSED: { target: 'overdue' },
      },
      states: {
        armed: {
          on: { PAUSE: { target: 'paused' } },
          after: { untilDue: { target: '#occurrence.due' } },
        },
        paused: {
          on: { RESUME: { target: 'armed' } },
        },
      },
    },
    due: {
      entry: 'markDue',
      always: [{ guard: 'isBeyondGrace', target: 'overdue' }, { target: 'triggered' }],
    },
    triggered: {
      entry: 'markTriggered',
      initial: 'claiming',
      states: {
        claiming: {
          entry: 'claim',
          on: {
            CLAIM_ANSWERED: [
              { guard: 'claimGranted', target: 'running', actions: 'markClaim' },
              {
                guard: 'claimMissedAndRecovered',
                target: '#occurrence.recovered',
                actions: 'markClaim',
              },
              {
                guard: 'claimMissedAndRetried',
                target: '#occurrence.retrying',
                actions: 'markClaim',
              },
              { guard: 'claimMissed', target: '#occurrence.missed', actions: 'markClaim' },
              { target: '#occurrence.lost', actions: 'markClaim' },
            ],
            EFFECT_FAILED: { target: '#occurrence.lost' },
          },
        },
        running: {
          entry: 'run',
          on: {
            RUN_SETTLED: { target: '#occurrence.recording', actions: 'markOutcome' },
            EFFECT_FAILED: { target: '#occurrence.lost' },
          },
        },
      },
    },
    recording: {
      entry: 'record',
      on: {
        RECORDED: [
          { guard: 'recordedRetrying', target: 'retrying' },
          { guard: 'recordedRecurred', target: 'recurred' },
          { guard: 'recordedFailed', target: 'failed' },
          { target: 'done' },
        ],
        EFFECT_FAILED: { target: 'lost' },
      },
    },
    overdue: {
      entry: ['markMissed', 'recordMiss'],
      on: {
        RECORDED: [
          { guard: 'recordedRecovered', target: 'recovered' },
          { guard: 'recordedRetrying', target: 'retrying' },
          { target: 'missed' },
        ],
        EFFECT_FAILED: { target: 'lost' },
      },
    },
    done: { type: 'final' },
    failed: { type: 'final' },
    missed: { type: 'final' },
    retrying: { type: 'final' },
    recurred: { type: 'final' },
    recovered: { type: 'final' },
    cancelled: { type: 'final' },
    released: { type: 'final' },
    lost: { type: 'final' },
  },
});

export type OccurrenceSnapshot = SnapshotFrom<typeof occurrenceMachine>;

/**
 * The machine with its four effects bound to `effects`. A scheduler calls this once and
 * creates every occurrence actor from the result; tests pass effects of their own.
 */
export function withEffects(effects: OccurrenceEffects): typeof occurrenceMachine {
  return occurrenceMachine.provide({ actions: effectActions(effects) });
}

/** The final state an occurrence actor ended in, or `undefined` while it is still live. */
export function outcomeOf(snapshot: OccurrenceSnapshot): OccurrenceOutcome | undefined {
  return snapshot.status === 'done' ? (snapshot.value as OccurrenceOutcome) : undefined;
}

/**
 * Every name the machine's definition uses, as the plain function it stands for, with the
 * four effects bound to `effects`: what a machine table (`compileMachineTable`) steps the
 * machine with, without an actor. The XState implementations above wrap these same
 * functions, so both run one definition.
 */
export function occurrenceSteps(effects: OccurrenceEffects) {
  const starters = effectStarters(effects);
  const effect =
    (start: EffectStarter) =>
    (
      context: OccurrenceContext,
      _event: OccurrenceEvent,
      _now: number,
      send: (event: OccurrenceEvent) => void,
    ): undefined => {
      start(context, send);
      return undefined;
    };
  return {
    guards: occurrenceGuards as Readonly<Record<string, OccurrenceGuard>>,
    actions: {
      ...(occurrenceUpdates as Readonly<Record<string, OccurrenceUpdate>>),
      claim: effect(starters.claim),
      run: effect(starters.run),
      record: effect(starters.record),
      recordMiss: effect(starters.recordMiss),
    },
    delays: occurrenceDelays as Readonly<
      Record<string, (context: OccurrenceContext, now: number) => number>
    >,
  };
}
