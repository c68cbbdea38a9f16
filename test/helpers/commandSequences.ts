import fc from 'fast-check';
import { isPlanflowError } from '../../src/domain/errors.js';
import { type Harness, MINUTE, manualTask, occurrenceAt, T0 } from './harness.js';

/** The task ids the generated commands use, so they often hit the same task. */
const TASKS = ['t0', 't1', 't2'] as const;

/** What a generated task looks like: how it is scheduled and how its handler behaves. */
type Shape = 'once' | 'hourly' | 'flaky' | 'slow';

/** One step a generated sequence takes against a scheduler. */
export type Step =
  | { kind: 'define'; task: number; shape: Shape; offsetMin: number }
  | { kind: 'schedule'; pick: number }
  | { kind: 'scheduleNew'; task: number; offsetMin: number }
  | { kind: 'pause' }
  | { kind: 'start' }
  | { kind: 'triggerNow'; pick: number; byTask: boolean }
  | { kind: 'cancel'; pick: number }
  | { kind: 'remove'; task: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'jump'; ms: number }
  | { kind: 'burst'; steps: Step[] }
  /** The process dies (its handlers never finish); a new scheduler opens the log and starts. */
  | { kind: 'crash' };

const task = fc.nat(TASKS.length - 1);
const offsetMin = fc.integer({ min: -10, max: 150 });

/** Every step but `burst`: what may run on its own or inside a burst. */
const simpleStep: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('define' as const),
      task,
      shape: fc.constantFrom<Shape>('once', 'hourly', 'flaky', 'slow'),
      offsetMin,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('schedule' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('scheduleNew' as const), task, offsetMin }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pause' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('start' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('triggerNow' as const),
      pick: fc.nat(),
      byTask: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), task }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.integer({ min: 0, max: 90 * MINUTE }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('jump' as const),
      ms: fc.integer({ min: 0, max: 120 * MINUTE }),
    }),
  },
);

/**
 * Random command sequences: single steps awaited one after another, and bursts whose steps
 * start in the same tick (a timer advanced synchronously between them), so commands, timers
 * and handlers interleave in the command queue in every order.
 */
export const stepsArb: fc.Arbitrary<Step[]> = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: simpleStep },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('burst' as const),
        steps: fc.array(simpleStep, { minLength: 2, maxLength: 4 }),
      }),
    },
    { weight: 1, arbitrary: fc.constant<Step>({ kind: 'crash' }) },
  ),
  { minLength: 1, maxLength: 25 },
);

/** The handlers the generated tasks name: succeed, fail, or take a while on the test clock. */
export function stepHandlers(clock: Harness['clock']) {
  return {
    fail: () => {
      throw new Error('generated failure');
    },
    slow: () =>
      new Promise<void>((resolve) => {
        clock.setTimeout(resolve, 7 * MINUTE);
      }),
  };
}

function taskInput(id: string, shape: Shape, startMs: number) {
  const base = manualTask(id);
  const startAt = new Date(startMs).toISOString();
  switch (shape) {
    case 'once':
      return { ...base, startAt };
    case 'hourly':
      return { ...base, recurrence: { everyMs: 60 * MINUTE, anchor: startAt } };
    case 'flaky':
      return {
        ...base,
        handler: 'fail',
        startAt,
        retry: { maxRetries: 2, delayMs: 10 * MINUTE },
      };
    case 'slow':
      return { ...base, handler: 'slow', recurrence: { everyMs: 45 * MINUTE, anchor: startAt } };
  }
}

/** Rejections a generated command may legitimately meet (not pending, unknown, stopped). */
const expected = (error: unknown): void => {
  if (!isPlanflowError(error)) throw error;
};

/**
 * Starts one step. `advance` inside a burst moves the clock synchronously, so the timers it
 * fires queue their claims between the other commands of the burst.
 */
function begin(h: Harness, step: Step, inBurst: boolean): Promise<unknown> {
  const s = h.scheduler;
  const pick = (n: number) => {
    const all = h.occurrences;
    return all.length === 0 ? undefined : all[n % all.length];
  };
  switch (step.kind) {
    case 'define':
      return s.defineTask(
        taskInput(TASKS[step.task]!, step.shape, h.clock.now() + step.offsetMin * MINUTE),
      );
    case 'schedule': {
      const occ = pick(step.pick);
      return occ === undefined ? Promise.resolve() : s.scheduleOccurrence(occ);
    }
    case 'scheduleNew': {
      const offset = h.clock.now() - T0 + step.offsetMin * MINUTE;
      return s.scheduleOccurrence(occurrenceAt(TASKS[step.task]!, offset, { cause: 'manual' }));
    }
    case 'pause':
      return s.pause();
    case 'start':
      return s.start();
    case 'triggerNow': {
      const occ = pick(step.pick);
      if (occ === undefined) return Promise.resolve();
      return s.triggerNow(step.byTask ? { taskId: occ.taskId } : { occurrenceId: occ.id });
    }
    case 'cancel': {
      const occ = pick(step.pick);
      return occ === undefined ? Promise.resolve() : s.cancelOccurrence(occ.id);
    }
    case 'remove':
      return s.removeTask(TASKS[step.task]!);
    case 'advance':
      if (inBurst) {
        h.clock.advance(step.ms);
        return Promise.resolve();
      }
      return h.clock.advanceAsync(step.ms);
    case 'jump':
      h.clock.jump(step.ms);
      return Promise.resolve();
    case 'burst':
      return Promise.all(step.steps.map((inner) => begin(h, inner, true).catch(expected)));
    case 'crash':
      throw new Error('a crash is handled by runSteps, never inside a burst');
  }
}

/** Every sequence starts from a running scheduler with some work, so most steps matter. */
const PREAMBLE: readonly Step[] = [
  { kind: 'define', task: 0, shape: 'hourly', offsetMin: 5 },
  { kind: 'define', task: 1, shape: 'flaky', offsetMin: 20 },
  { kind: 'define', task: 2, shape: 'slow', offsetMin: 1 },
  { kind: 'start' },
];

/**
 * Runs the preamble and a generated sequence; only PlanflowErrors are tolerated. A `crash`
 * abandons the current scheduler (never stopped, its clock never moves again) and continues
 * with the one `restart` opens on the same log. Returns the scheduler alive at the end.
 */
export async function runSteps(
  first: Harness,
  steps: readonly Step[],
  restart: (crashed: Harness) => Promise<Harness>,
): Promise<Harness> {
  let h = first;
  for (const step of [...PREAMBLE, ...steps]) {
    if (step.kind === 'crash') {
      h = await restart(h);
      continue;
    }
    await begin(h, step, false).catch(expected);
    await h.clock.settle();
  }
  return h;
}

/** Lets every running handler finish and stops the scheduler, on the test clock. */
export async function drainAndStop(h: Harness): Promise<void> {
  await h.clock.advanceAsync(10 * MINUTE);
  const stopping = h.scheduler.stop();
  await h.clock.advanceAsync(20 * MINUTE);
  await stopping;
}
