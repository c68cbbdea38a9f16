import { describe, expect, it } from 'vitest';
import { type AnyStateMachine, assign, createActor, createMachine, setup } from 'xstate';
import { MachineStepper } from '../../src/scheduler/actors/MachineStepper.js';
import {
  compileMachineTable,
  type TableImplementations,
} from '../../src/scheduler/actors/MachineTable.js';
import { TestClock } from '../../src/testing/index.js';
import { TimerQueue } from '../../src/time/TimerQueue.js';

type Ctx = { log: string[] };
type Ev = { type: string };

const none: TableImplementations<Ctx, Ev> = { guards: {}, actions: {}, delays: {} };
const note =
  (text: string) =>
  (context: Ctx): Partial<Ctx> => ({ log: [...context.log, text] });

describe('compileMachineTable', () => {
  it.each<[string, AnyStateMachine, RegExp]>([
    [
      'a parallel state',
      createMachine({ type: 'parallel', states: { a: {}, b: {} } }),
      /is a parallel state/,
    ],
    [
      'an inline action',
      createMachine({ initial: 'a', states: { a: { entry: () => {} } } }),
      /a function/,
    ],
    [
      'an unknown action name',
      createMachine({ initial: 'a', states: { a: { entry: 'nobodyKnows' } } }),
      /"nobodyKnows"/,
    ],
    [
      'an unknown guard name',
      createMachine({
        initial: 'a',
        states: { a: { on: { GO: { guard: 'unknown', target: 'b' } } }, b: {} },
      }),
      /guard the table cannot run/,
    ],
    [
      'a nested final state',
      createMachine({
        initial: 'a',
        states: { a: { initial: 'x', states: { x: { type: 'final' } } } },
      }),
      /nested final state/,
    ],
    [
      'a transition re-entering its own state',
      createMachine({ initial: 'a', states: { a: { on: { GO: { target: 'a' } } } } }),
      /re-enters/,
    ],
    [
      'a wildcard event',
      createMachine({ initial: 'a', states: { a: { on: { '*': { target: 'b' } } }, b: {} } }),
      /wildcard/,
    ],
    [
      'an invoked actor',
      createMachine({
        initial: 'a',
        states: { a: { invoke: { src: createMachine({}) } } },
      }),
      /invokes an actor/,
    ],
  ])('refuses %s, which it could not step as XState does', (_name, machine, message) => {
    expect(() => compileMachineTable(machine, none)).toThrow(message);
  });

  it('orders exit, transition and entry actions as XState does, deepest exits first', () => {
    const names = ['exitLeaf', 'exitOuter', 'move', 'enterOther', 'enterInner'];
    const machine = setup({
      types: { context: {} as Ctx },
      actions: Object.fromEntries(
        names.map((name) => [
          name,
          assign<Ctx, Ev, undefined, Ev, never>(({ context }) => note(name)(context)),
        ]),
      ),
    }).createMachine({
      context: { log: [] },
      initial: 'outer',
      states: {
        outer: {
          exit: 'exitOuter',
          initial: 'leaf',
          states: { leaf: { exit: 'exitLeaf', on: { GO: { target: '#other', actions: 'move' } } } },
        },
        other: {
          id: 'other',
          entry: 'enterOther',
          initial: 'inner',
          states: { inner: { entry: 'enterInner' } },
        },
      },
    });
    const actor = createActor(machine).start();
    actor.send({ type: 'GO' });
    const clock = new TimerQueue({ clock: new TestClock(0) });
    const stepper = new MachineStepper(
      compileMachineTable<Ctx, Ev>(machine, {
        ...none,
        actions: Object.fromEntries(names.map((name) => [name, note(name)])),
      }),
      { log: [] },
      clock,
      () => {},
    );
    stepper.start();
    stepper.send({ type: 'GO' });
    expect(stepper.context.log).toEqual(actor.getSnapshot().context.log);
    expect(stepper.context.log).toEqual(names);
    expect(stepper.value).toEqual({ other: 'inner' });
  });

  it('queues an event an action sends while a step runs, and ignores events once done', () => {
    const machine = createMachine({
      initial: 'a',
      states: {
        a: { on: { GO: { target: 'b', actions: 'echo' } } },
        b: { entry: 'count', on: { ECHO: 'c' } },
        c: { type: 'final' },
      },
    });
    let steps = 0;
    let counted = 0;
    const stepper = new MachineStepper<Ctx, Ev>(
      compileMachineTable<Ctx, Ev>(machine, {
        ...none,
        actions: {
          echo: (_context, _event, _now, send) => {
            send({ type: 'ECHO' });
            // Not taken yet: the step that sent it is still running.
            expect(stepper.stateKey).toBe('a');
            return undefined;
          },
          count: () => {
            counted++;
            return undefined;
          },
        },
      }),
      { log: [] },
      new TimerQueue({ clock: new TestClock(0) }),
      () => steps++,
    );
    stepper.start();
    stepper.send({ type: 'GO' });
    expect(stepper.stateKey).toBe('c');
    expect(stepper.done).toBe(true);
    expect(steps).toBe(3);
    stepper.send({ type: 'GO' });
    expect(steps).toBe(3);
    expect(counted).toBe(1);
  });

  it('waits out an after delay on its clock, and cancels it when the state is left first', async () => {
    const machine = createMachine({
      initial: 'waiting',
      states: {
        waiting: { after: { 1000: 'late' }, on: { STOP: 'stopped' } },
        late: { type: 'final' },
        stopped: { type: 'final' },
      },
    });
    const table = compileMachineTable<Ctx, Ev>(machine, none);
    const clock = new TestClock(0);
    const timers = new TimerQueue({ clock });
    const timed = new MachineStepper(table, { log: [] }, timers, () => {});
    const stopped = new MachineStepper(table, { log: [] }, timers, () => {});
    timed.start();
    stopped.start();
    expect(timers.size).toBe(2);
    stopped.send({ type: 'STOP' });
    expect(timers.size).toBe(1);
    await clock.advanceAsync(999);
    expect(timed.stateKey).toBe('waiting');
    await clock.advanceAsync(1);
    expect(timed.stateKey).toBe('late');
    expect(stopped.stateKey).toBe('stopped');
    expect(timers.size).toBe(0);
  });
});
