import { assign, fromPromise, type SnapshotFrom, setup } from 'xstate';
import type { ErrorRecord, Occurrence } from '../src/domain/types.js';

/** What an occurrence actor is created with. */
export type OccurrenceInput = Readonly<{
  occurrence: Occurrence;
  /** Due time, epoch ms. @default Date.parse(occurrence.scheduledFor) */
  dueAtMs?: number;
  /** How late a timer may fire and still trigger rather than count as missed. @default 30_000 */
  graceMs?: number;
}>;

/** A handler run's result as the machine sees it (the runtime's `HandlerOutcome`). */
export type RunOutcome =
  | Readonly<{ ok: true; durationMs: number }>
  | Readonly<{ ok: false; durationMs: number; error: ErrorRecord }>;

/** How the runtime answered a request to trigger. */
export type ClaimResult =
  /** `occurrence.triggered` was recorded: run the handler with this key. */
  | Readonly<{ kind: 'granted'; idempotencyKey: string }>
  /** Someone else triggered it first, or it is no longer pending: do nothing. */
  | Readonly<{ kind: 'lost' }>
  /** The scheduler is paused or stopped: do nothing. */
  | Readonly<{ kind: 'refused' }>
  /** Too late by the time the claim was decided: recorded missed, and recovered or retried. */
  | Readonly<{ kind: 'missed'; state: 'missed' | 'recovered' | 'retrying' }>;

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

export type OccurrenceEvent =
  | { type: 'PAUSE' }
  | { type: 'RESUME' }
  | { type: 'CANCEL' }
  /** Trigger now: `manual` (the default) by a user; otherwise a due-now occurrence. */
  | { type: 'TRIGGER_NOW'; manual?: boolean }
  | { type: 'MISSED'; lateByMs?: number };

/** The final states: the occurrence's last `ExecutionState` (plus `lost`). */
export type OccurrenceOutcome =
  | 'done'
  | 'failed'
  | 'missed'
  | 'retrying'
  | 'recurred'
  | 'recovered'
  | 'cancelled'
  | 'lost';

type RecordedOutcome = 'done' | 'failed' | 'retrying' | 'recurred';
type RecordedMiss = 'missed' | 'recovered' | 'retrying';

/**
 * What each invoked actor is given. Every input carries the occurrence, so the runtime
 * provides the actors once per scheduler (one machine for all its occurrences, whose
 * transition caches stay warm) rather than once per occurrence.
 */
export type ClaimInput = Readonly<{ occurrence: Occurrence; manual: boolean; lateByMs: number }>;
export type RunInput = Readonly<{ occurrence: Occurrence; idempotencyKey: string }>;
export type RecordInput = Readonly<{ occurrence: Occurrence; outcome: RunOutcome }>;
export type MissInput = Readonly<{ occurrence: Occurrence; lateByMs: number }>;

/**
 * Wall time from the clock the actor runs on. Guards cannot see the clock, so the actions
 * that need the time stamp it into context first. XState's own default clock has no `now()`;
 * then the host's `Date.now()` is the same time its real timers run on.
 */
const clockNow = (system: { readonly _clock: object }): number => {
  const clock: { now?: unknown } = system._clock;
  return typeof clock.now === 'function' ? (clock.now as () => number)() : Date.now();
};

const outputIs =
  <T extends string>(value: T) =>
  ({ event }: { event: unknown }) =>
    (event as { output?: unknown }).output === value;

/**
 * The lifecycle of ONE occurrence, as a diagram:
 *
 * `scheduled` (`armed` ⇄ `paused`) waits on the actor's clock (`untilDue`); when the timer
 * fires, `due` decides: late beyond grace → `overdue`, else → `triggered`. `triggered` first
 * `claiming`: the `claimTrigger` actor asks the runtime, which appends `occurrence.triggered`
 * only if the occurrence is still pending and the store accepts it (the store refuses a
 * second trigger of the same occurrence). Only a granted claim goes on to `running`, which
 * invokes `runHandler`; anything else ends without running the handler — so a handler runs at
 * most once per occurrence, across actors and instances. `triggered` has no way back.
 *
 * `recording` hands the run's outcome to `recordOutcome`, which appends it together with the
 * follow-up the planners chose, and answers with the final state: `done`, `failed`,
 * `retrying` or `recurred`. `overdue` does the same for a miss through `recordMiss`:
 * `missed`, `recovered` or `retrying`. `cancelled` ends a not-yet-triggered occurrence.
 *
 * The machine does no I/O: the four actors are defaults the runtime replaces with
 * `machine.provide(...)` once per scheduler; a handler timeout lives inside `runHandler` (its outcome is a
 * failure marked `timedOut`).
 */
export const occurrenceMachine = setup({
  types: {
    context: {} as OccurrenceContext,
    events: {} as OccurrenceEvent,
    input: {} as OccurrenceInput,
  },
  actors: {
    /** Asks the runtime to record `occurrence.triggered`. */
    claimTrigger: fromPromise<ClaimResult, ClaimInput>(async () => ({
      kind: 'granted',
      idempotencyKey: '',
    })),
    /** Runs the task's handler; the default is a plain reminder that just completes. */
    runHandler: fromPromise<RunOutcome, RunInput>(async () => ({
      ok: true,
      durationMs: 0,
    })),
    /** Records the outcome and its follow-up; answers with the final state. */
    recordOutcome: fromPromise<RecordedOutcome, RecordInput>(async ({ input }) =>
      input.outcome.ok ? 'done' : 'failed',
    ),
    /** Records a miss and its recovery; answers with the final state. */
    recordMiss: fromPromise<RecordedMiss, MissInput>(async () => 'missed'),
  },
  delays: {
    untilDue: ({ context, system }) => Math.max(0, context.dueAtMs - clockNow(system)),
  },
  guards: {
    isBeyondGrace: ({ context }) =>
      (context.firedAtMs ?? context.dueAtMs) - context.dueAtMs > context.graceMs,
    claimGranted: ({ event }) => (event as { output?: ClaimResult }).output?.kind === 'granted',
    claimMissedAndRecovered: ({ event }) => {
      const output = (event as { output?: ClaimResult }).output;
      return output?.kind === 'missed' && output.state === 'recovered';
    },
    claimMissedAndRetried: ({ event }) => {
      const output = (event as { output?: ClaimResult }).output;
      return output?.kind === 'missed' && output.state === 'retrying';
    },
    claimMissed: ({ event }) => (event as { output?: ClaimResult }).output?.kind === 'missed',
    recordedFailed: outputIs('failed'),
    recordedRetrying: outputIs('retrying'),
    recordedRecurred: outputIs('recurred'),
    recordedRecovered: outputIs('recovered'),
  },
  actions: {
    markDue: assign({ firedAtMs: ({ system }) => clockNow(system) }),
    markTriggered: assign(({ context, event, system }) => ({
      manual: event.type === 'TRIGGER_NOW' && event.manual !== false,
      lateByMs: Math.max(0, clockNow(system) - context.dueAtMs),
    })),
    markClaim: assign(({ event }) => {
      const claim = (event as { output?: ClaimResult }).output;
      return {
        claim,
        idempotencyKey: claim?.kind === 'granted' ? claim.idempotencyKey : undefined,
      };
    }),
    markOutcome: assign({
      outcome: ({ event }) => (event as { output?: RunOutcome }).output,
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
          invoke: {
            src: 'claimTrigger',
            input: ({ context }) => ({
              occurrence: context.occurrence,
              manual: context.manual,
              lateByMs: context.lateByMs,
            }),
            onDone: [
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
            onError: { target: '#occurrence.lost' },
          },
        },
        running: {
          invoke: {
            src: 'runHandler',
            input: ({ context }) => ({
              occurrence: context.occurrence,
              idempotencyKey: context.idempotencyKey ?? '',
            }),
            onDone: { target: '#occurrence.recording', actions: 'markOutcome' },
            onError: { target: '#occurrence.lost' },
          },
        },
      },
    },
    recording: {
      invoke: {
        src: 'recordOutcome',
        input: ({ context }) => ({
          occurrence: context.occurrence,
          outcome: context.outcome ?? { ok: true, durationMs: 0 },
        }),
        onDone: [
          { guard: 'recordedRetrying', target: 'retrying' },
          { guard: 'recordedRecurred', target: 'recurred' },
          { guard: 'recordedFailed', target: 'failed' },
          { target: 'done' },
        ],
        onError: { target: 'lost' },
      },
    },
    overdue: {
      entry: 'markMissed',
      invoke: {
        src: 'recordMiss',
        input: ({ context }) => ({ occurrence: context.occurrence, lateByMs: context.lateByMs }),
        onDone: [
          { guard: 'recordedRecovered', target: 'recovered' },
          { guard: 'recordedRetrying', target: 'retrying' },
          { target: 'missed' },
        ],
        onError: { target: 'lost' },
      },
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

export type OccurrenceSnapshot = SnapshotFrom<typeof occurrenceMachine>;

/** The final state an occurrence actor ended in, or `undefined` while it is still live. */
export function outcomeOf(snapshot: OccurrenceSnapshot): OccurrenceOutcome | undefined {
  return snapshot.status === 'done' ? (snapshot.value as OccurrenceOutcome) : undefined;
}
