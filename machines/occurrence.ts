import { assign, fromPromise, type SnapshotFrom, setup } from 'xstate';
import type { ErrorRecord, Occurrence } from '../src/domain/types.js';

/** What an occurrence actor is created with. */
export type OccurrenceInput = Readonly<{
  occurrence: Occurrence;
  /** Due time, epoch ms. @default Date.parse(occurrence.scheduledFor) */
  dueAtMs?: number;
  /** How late a timer may fire and still trigger rather than count as missed. @default 30_000 */
  graceMs?: number;
  /** Per-attempt handler timeout; none when absent. */
  timeoutMs?: number;
  /** Handed to the handler so side effects can be de-duplicated. @default occurrence.id */
  idempotencyKey?: string;
}>;

export type OccurrenceContext = {
  occurrence: Occurrence;
  dueAtMs: number;
  graceMs: number;
  timeoutMs: number | undefined;
  idempotencyKey: string;
  /** Clock time when the due timer fired (decides trigger vs. missed). */
  firedAtMs: number | undefined;
  /** Clock time when the handler started (for `durationMs`). */
  startedAtMs: number | undefined;
  /** How late the trigger (or the miss) was relative to `dueAtMs`. */
  lateByMs: number;
  /** True when triggered by `TRIGGER_NOW` rather than by its time. */
  manual: boolean;
  /** Why the handler failed, or why the claim was lost. */
  error: ErrorRecord | undefined;
};

export type OccurrenceEvent =
  | { type: 'PAUSE' }
  | { type: 'RESUME' }
  | { type: 'CANCEL'; reason?: 'user' | 'task-removed' | 'task-updated' }
  | { type: 'TRIGGER_NOW' }
  | { type: 'MISSED'; lateByMs?: number };

/** Input of the `claimTrigger` actor: what the runtime appends as `occurrence.triggered`. */
export type TriggerClaim = Readonly<{
  occurrence: Occurrence;
  attempt: number;
  idempotencyKey: string;
  manual: boolean;
  lateByMs: number;
}>;

/** Input of the `runHandler` actor (its promise also receives an AbortSignal). */
export type HandlerRequest = Readonly<{
  occurrence: Occurrence;
  attempt: number;
  idempotencyKey: string;
}>;

/** The final states, each the occurrence's last `ExecutionState` (plus `lost`). */
export type OccurrenceOutcome =
  | 'done'
  | 'failed'
  | 'missed'
  | 'retrying'
  | 'recurred'
  | 'recovered'
  | 'cancelled'
  | 'lost';

/**
 * Wall time from the clock the actor runs on. Guards cannot see the clock, so the actions
 * that need the time stamp it into context first. XState's own default clock has no `now()`;
 * then the host's `Date.now()` is the same time its real timers run on.
 */
const clockNow = (system: { readonly _clock: object }): number => {
  const clock: { now?: unknown } = system._clock;
  return typeof clock.now === 'function' ? (clock.now as () => number)() : Date.now();
};

const toErrorRecord = (error: unknown): ErrorRecord =>
  error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: 'Error', message: String(error) };

const claimOf = (c: OccurrenceContext): TriggerClaim => ({
  occurrence: c.occurrence,
  attempt: c.occurrence.attempt,
  idempotencyKey: c.idempotencyKey,
  manual: c.manual,
  lateByMs: c.lateByMs,
});

/**
 * The lifecycle of ONE occurrence, as a diagram:
 *
 * `scheduled` (`armed` ⇄ `paused`) waits on the actor's clock (`untilDue`); when the timer
 * fires, `due` decides: late beyond grace → `overdue`, else → `triggered`. `triggered` first
 * `claiming`: the `claimTrigger` actor appends `occurrence.triggered`; only when the store
 * accepts it does `running` start `runHandler` (with the `handlerTimeout`). A refused claim
 * (another instance, a duplicate) ends in `lost` without running anything — so the handler
 * runs at most once per occurrence, across actors and instances. `triggered` has no way
 * back, so one actor enters it at most once.
 *
 * The outcome states `completed`, `errored` and `overdue` record the fact and then let the
 * runtime's guards choose the follow-up: `retrying`, `recurred`, `recovered`, or the plain
 * final `done` / `failed` / `missed`. `cancelled` ends a not-yet-triggered occurrence.
 *
 * The machine does no I/O: recording (`record*`), planning (`plan*`), the follow-up guards
 * and both actors are no-op defaults the runtime replaces with `machine.provide(...)`.
 */
export const occurrenceMachine = setup({
  types: {
    context: {} as OccurrenceContext,
    events: {} as OccurrenceEvent,
    input: {} as OccurrenceInput,
  },
  actors: {
    /** Appends `occurrence.triggered`; rejects when the store refuses it. */
    claimTrigger: fromPromise<unknown, TriggerClaim>(async () => undefined),
    /** Runs the task's handler; the default is a plain reminder that just completes. */
    runHandler: fromPromise<unknown, HandlerRequest>(async () => undefined),
  },
  delays: {
    untilDue: ({ context, system }) => Math.max(0, context.dueAtMs - clockNow(system)),
    handlerTimeout: ({ context }) => context.timeoutMs ?? 0,
  },
  guards: {
    isBeyondGrace: ({ context }) =>
      (context.firedAtMs ?? context.dueAtMs) - context.dueAtMs > context.graceMs,
    hasTimeout: ({ context }) => context.timeoutMs !== undefined,
    canRetry: () => false,
    hasRecurrence: () => false,
    canRecover: () => false,
  },
  actions: {
    markDue: assign({ firedAtMs: ({ system }) => clockNow(system) }),
    markTriggered: assign(({ context, event, system }) => ({
      manual: event.type === 'TRIGGER_NOW',
      lateByMs: Math.max(0, clockNow(system) - context.dueAtMs),
    })),
    markRunning: assign({ startedAtMs: ({ system }) => clockNow(system) }),
    markMissed: assign({
      lateByMs: ({ context, event, system }) =>
        event.type === 'MISSED' && event.lateByMs !== undefined
          ? event.lateByMs
          : Math.max(0, clockNow(system) - context.dueAtMs),
    }),
    markFailed: assign({
      error: ({ event }) => toErrorRecord((event as { error?: unknown }).error),
    }),
    markTimedOut: assign({
      error: ({ context }) => ({
        name: 'TimeoutError',
        message: `Occurrence "${context.occurrence.id}": handler did not settle within timeoutMs ${context.timeoutMs} ms`,
        timedOut: true,
      }),
    }),
    recordCompleted: () => {},
    recordFailed: () => {},
    recordMissed: () => {},
    recordCancelled: () => {},
    recordLost: () => {},
    planRetry: () => {},
    planNext: () => {},
    planRecovery: () => {},
  },
}).createMachine({
  id: 'occurrence',
  context: ({ input }) => ({
    occurrence: input.occurrence,
    dueAtMs: input.dueAtMs ?? Date.parse(input.occurrence.scheduledFor),
    graceMs: input.graceMs ?? 30_000,
    timeoutMs: input.timeoutMs,
    idempotencyKey: input.idempotencyKey ?? input.occurrence.id,
    firedAtMs: undefined,
    startedAtMs: undefined,
    lateByMs: 0,
    manual: false,
    error: undefined,
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
            input: ({ context }) => claimOf(context),
            onDone: { target: 'running' },
            onError: { target: '#occurrence.lost', actions: 'markFailed' },
          },
        },
        running: {
          entry: 'markRunning',
          invoke: {
            src: 'runHandler',
            input: ({ context }) => ({
              occurrence: context.occurrence,
              attempt: context.occurrence.attempt,
              idempotencyKey: context.idempotencyKey,
            }),
            onDone: { target: '#occurrence.completed' },
            onError: { target: '#occurrence.errored', actions: 'markFailed' },
          },
          after: {
            handlerTimeout: {
              guard: 'hasTimeout',
              target: '#occurrence.errored',
              actions: 'markTimedOut',
            },
          },
        },
      },
    },
    completed: {
      entry: 'recordCompleted',
      always: [{ guard: 'hasRecurrence', target: 'recurred' }, { target: 'done' }],
    },
    errored: {
      entry: 'recordFailed',
      always: [
        { guard: 'canRetry', target: 'retrying' },
        { guard: 'hasRecurrence', target: 'recurred' },
        { target: 'failed' },
      ],
    },
    overdue: {
      entry: ['markMissed', 'recordMissed'],
      always: [
        { guard: 'canRecover', target: 'recovered' },
        { guard: 'canRetry', target: 'retrying' },
        { guard: 'hasRecurrence', target: 'recurred' },
        { target: 'missed' },
      ],
    },
    done: { type: 'final' },
    failed: { type: 'final' },
    missed: { type: 'final' },
    retrying: { type: 'final', entry: 'planRetry' },
    recurred: { type: 'final', entry: 'planNext' },
    recovered: { type: 'final', entry: 'planRecovery' },
    cancelled: { type: 'final', entry: 'recordCancelled' },
    lost: { type: 'final', entry: 'recordLost' },
  },
});

export type OccurrenceSnapshot = SnapshotFrom<typeof occurrenceMachine>;

/** The final state an occurrence actor ended in, or `undefined` while it is still live. */
export function outcomeOf(snapshot: OccurrenceSnapshot): OccurrenceOutcome | undefined {
  return snapshot.status === 'done' ? (snapshot.value as OccurrenceOutcome) : undefined;
}
