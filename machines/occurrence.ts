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
  return {
    claim: ({ context, self }: EffectArgs) =>
      startEffect(
        self,
        () =>
          effects.claim({
            occurrence: context.occurrence,
            manual: context.manual,
            lateByMs: context.lateByMs,
          }),
        (claim) => ({ type: 'CLAIM_ANSWERED', claim }),
      ),
    run: ({ context, self }: EffectArgs) =>
      startEffect(
        self,
        () =>
          effects.run({
            occurrence: context.occurrence,
            idempotencyKey: context.idempotencyKey ?? '',
            task: context.claim?.kind === 'granted' ? context.claim.task : undefined,
          }),
        (outcome) => ({ type: 'RUN_SETTLED', outcome }),
      ),
    record: ({ context, self }: EffectArgs) =>
      startEffect(
        self,
        () =>
          effects.record({
            occurrence: context.occurrence,
            outcome: context.outcome ?? { ok: true, durationMs: 0 },
          }),
        (state) => ({ type: 'RECORDED', state }),
      ),
    recordMiss: ({ context, self }: EffectArgs) =>
      startEffect(
        self,
        () => effects.recordMiss({ occurrence: context.occurrence, lateByMs: context.lateByMs }),
        (state) => ({ type: 'RECORDED', state }),
      ),
  };
}

/**
 * Starts one step and sends its answer (or `EFFECT_FAILED`, for a step that throws or
 * rejects) to the actor, if it is still active.
 */
function startEffect<T>(
  self: EffectArgs['self'],
  step: () => Promise<T>,
  toEvent: (value: T) => OccurrenceEvent,
): void {
  const send = (event: OccurrenceEvent) => {
    if (self.getSnapshot().status === 'active') self.send(event);
  };
  let running: Promise<T>;
  try {
    running = step();
  } catch (error) {
    running = Promise.reject(error);
  }
  running.then(
    (value) => send(toEvent(value)),
    (error: unknown) => send({ type: 'EFFECT_FAILED', error }),
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
  ({ event }: { event: OccurrenceEvent }) =>
    event.type === 'RECORDED' && event.state === state;

const claimOf = (event: OccurrenceEvent): ClaimResult | undefined =>
  event.type === 'CLAIM_ANSWERED' ? event.claim : undefined;

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
    untilDue: ({ context, system }) => Math.max(0, context.dueAtMs - clockNow(system)),
  },
  guards: {
    isBeyondGrace: ({ context }) =>
      (context.firedAtMs ?? context.dueAtMs) - context.dueAtMs > context.graceMs,
    claimGranted: ({ event }) => claimOf(event)?.kind === 'granted',
    claimMissedAndRecovered: ({ event }) => {
      const claim = claimOf(event);
      return claim?.kind === 'missed' && claim.state === 'recovered';
    },
    claimMissedAndRetried: ({ event }) => {
      const claim = claimOf(event);
      return claim?.kind === 'missed' && claim.state === 'retrying';
    },
    claimMissed: ({ event }) => claimOf(event)?.kind === 'missed',
    recordedFailed: recorded('failed'),
    recordedRetrying: recorded('retrying'),
    recordedRecurred: recorded('recurred'),
    recordedRecovered: recorded('recovered'),
  },
  actions: {
    ...effectActions(standaloneEffects),
    markDue: assign({ firedAtMs: ({ system }) => clockNow(system) }),
    markTriggered: assign(({ context, event, system }) => ({
      manual: event.type === 'TRIGGER_NOW' && event.manual !== false,
      lateByMs: Math.max(0, clockNow(system) - context.dueAtMs),
    })),
    markClaim: assign(({ event }) => {
      const claim = claimOf(event);
      return {
        claim,
        idempotencyKey: claim?.kind === 'granted' ? claim.idempotencyKey : undefined,
      };
    }),
    markOutcome: assign({
      outcome: ({ event }) => (event.type === 'RUN_SETTLED' ? event.outcome : undefined),
    }),
    markMissed: assign({
      lateByMs: ({ context, event, system }) =>
        event.type === 'MISSED' && event.lateByMs !== undefined
          ? event.lateByMs
          : Math.max(0, clockNow(system) - context.dueAtMs),
    }),
  },
}).createMachine({
  id: 'occurrence',
  context: ({ input }) => ({
    occurrence: input.occurrence,
    dueAtMs: input.dueAtMs ?? Date.parse(input.occurrence.scheduledFor),
    graceMs: input.graceMs ?? 30_000,
    firedAtMs: undefined,
    lateByMs: 0,
    manual: false,
    claim: undefined,
    idempotencyKey: undefined,
    outcome: undefined,
  }),
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
