import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { statusOf, supervisorMachine } from '../../machines/supervisor.js';
import { TestClock } from '../../src/testing/index.js';
import { TimerQueue } from '../../src/time/TimerQueue.js';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');

function harness() {
  const log: string[] = [];
  const note = (name: string) => (): void => {
    log.push(name);
  };
  const machine = supervisorMachine.provide({
    actions: {
      armAll: note('armAll'),
      disarmAll: note('disarmAll'),
      checkMissed: note('checkMissed'),
      recordStarted: note('recordStarted'),
      recordPaused: note('recordPaused'),
      recordStopped: note('recordStopped'),
      probeWrites: note('probeWrites'),
      stopProbing: note('stopProbing'),
      recordUnrecorded: note('recordUnrecorded'),
      recordClockJump: ({ event }) =>
        log.push(`recordClockJump:${event.type === 'CLOCK_JUMPED' ? event.driftMs : '?'}`),
    },
  });
  const actor = createActor(machine).start();
  return { log, actor, status: () => statusOf(actor.getSnapshot()) };
}

const jump = {
  type: 'CLOCK_JUMPED',
  expectedAt: T0,
  observedAt: T0 + 7_200_000,
  driftMs: 7_200_000,
} as const;

describe('supervisor machine', () => {
  it('starts idle and does nothing until START', () => {
    const h = harness();
    expect(h.status()).toBe('idle');
    h.actor.send({ type: 'CHECK_MISSED' });
    h.actor.send(jump);
    h.actor.send({ type: 'PAUSE' });
    expect(h.status()).toBe('idle');
    expect(h.log).toEqual([]);
  });

  describe('START', () => {
    it('records the start, re-arms every future occurrence, then checks missed ones', () => {
      const h = harness();
      h.actor.send({ type: 'START' });
      expect(h.status()).toBe('running');
      expect(h.log).toEqual(['recordStarted', 'recordUnrecorded', 'armAll', 'checkMissed']);
    });

    it('while running re-arms and re-checks without recording a second start', () => {
      const h = harness();
      h.actor.send({ type: 'START' });
      h.log.length = 0;
      h.actor.send({ type: 'START' });
      expect(h.log).toEqual(['recordUnrecorded', 'armAll', 'checkMissed']);
    });
  });

  describe('when running', () => {
    it('checks missed occurrences on CHECK_MISSED', () => {
      const h = harness();
      h.actor.send({ type: 'START' });
      h.log.length = 0;
      h.actor.send({ type: 'CHECK_MISSED' });
      expect(h.log).toEqual(['checkMissed']);
    });

    it('records a clock jump and then checks missed occurrences', () => {
      const h = harness();
      h.actor.send({ type: 'START' });
      h.log.length = 0;
      h.actor.send(jump);
      expect(h.log).toEqual(['recordClockJump:7200000', 'checkMissed']);
      expect(h.status()).toBe('running');
    });
  });

  describe('when paused', () => {
    it('disarms every timer and ignores missed checks and clock jumps', () => {
      const h = harness();
      h.actor.send({ type: 'START' });
      h.log.length = 0;
      h.actor.send({ type: 'PAUSE' });
      h.actor.send({ type: 'PAUSE' });
      h.actor.send({ type: 'CHECK_MISSED' });
      h.actor.send(jump);
      expect(h.status()).toBe('paused');
      expect(h.log).toEqual(['disarmAll', 'recordPaused']);
    });

    it('resumes on START with the seed order: re-arm, then check missed', () => {
      const h = harness();
      h.actor.send({ type: 'START' });
      h.actor.send({ type: 'PAUSE' });
      h.log.length = 0;
      h.actor.send({ type: 'START' });
      expect(h.log).toEqual(['recordStarted', 'recordUnrecorded', 'armAll', 'checkMissed']);
    });
  });

  describe('when a write fails', () => {
    const degraded = () => {
      const h = harness();
      h.actor.send({ type: 'START' });
      h.log.length = 0;
      h.actor.send({ type: 'WRITE_FAILED' });
      return h;
    };

    it('turns degraded from running and starts probing the store', () => {
      const h = degraded();
      expect(h.status()).toBe('degraded');
      expect(h.actor.getSnapshot().value).toEqual({ running: 'degraded' });
      expect(h.log).toEqual(['probeWrites']);
    });

    it('ignores a write failure unless running healthy', () => {
      const h = degraded();
      h.log.length = 0;
      h.actor.send({ type: 'WRITE_FAILED' });
      expect(h.log).toEqual([]);
      for (const before of [[], ['START', 'PAUSE']] as const) {
        const other = harness();
        for (const type of before) other.actor.send({ type });
        other.log.length = 0;
        other.actor.send({ type: 'WRITE_FAILED' });
        other.actor.send({ type: 'WRITE_RECOVERED' });
        expect(other.status()).toBe(before.length === 0 ? 'idle' : 'paused');
        expect(other.log).toEqual([]);
      }
    });

    it('ignores missed checks and clock jumps while degraded: they wait for the recovery', () => {
      const h = degraded();
      h.log.length = 0;
      h.actor.send({ type: 'CHECK_MISSED' });
      h.actor.send(jump);
      expect(h.status()).toBe('degraded');
      expect(h.log).toEqual([]);
    });

    it('on recovery stops probing, records what was left unrecorded, re-arms, then checks missed', () => {
      const h = degraded();
      h.log.length = 0;
      h.actor.send({ type: 'WRITE_RECOVERED' });
      expect(h.status()).toBe('running');
      expect(h.log).toEqual(['stopProbing', 'recordUnrecorded', 'armAll', 'checkMissed']);
      h.log.length = 0;
      h.actor.send({ type: 'WRITE_RECOVERED' });
      expect(h.log).toEqual([]);
    });

    it.each([
      ['PAUSE', 'paused', ['stopProbing', 'disarmAll', 'recordPaused']],
      ['STOP', 'stopped', ['stopProbing', 'disarmAll', 'recordUnrecorded', 'recordStopped']],
      ['START', 'running', ['stopProbing', 'recordUnrecorded', 'armAll', 'checkMissed']],
    ] as const)('leaves degraded on %s, stopping the probe first', (type, status, log) => {
      const h = degraded();
      h.log.length = 0;
      h.actor.send({ type });
      expect(h.status()).toBe(status);
      expect(h.log).toEqual(log);
    });
  });

  describe('STOP', () => {
    it.each([
      ['idle', []],
      ['running', ['START']],
      ['paused', ['START', 'PAUSE']],
    ] as const)('from %s disarms, records and ends for good once released', (_from, before) => {
      const h = harness();
      for (const type of before) h.actor.send({ type });
      h.log.length = 0;
      h.actor.send({ type: 'STOP' });
      expect(h.status()).toBe('stopped');
      expect(h.log).toEqual(['disarmAll', 'recordUnrecorded', 'recordStopped']);
      h.actor.send({ type: 'START' });
      expect(h.status()).toBe('stopped');
      // Still there for the occurrences the stop drains: their done events are counted.
      expect(h.actor.getSnapshot().status).toBe('active');
      h.actor.send({ type: 'xstate.done.actor.occurrence-0' } as never);
      expect(h.actor.getSnapshot().context.finished).toBe(1);
      h.actor.send({ type: 'RELEASED' });
      expect(h.status()).toBe('stopped');
      expect(h.actor.getSnapshot().status).toBe('done');
    });
  });

  it('keeps only counts in its context, in any live state', () => {
    const h = harness();
    h.actor.send({ type: 'COUNTS_CHANGED', pending: 100_000, active: 3 });
    expect(h.actor.getSnapshot().context).toEqual({ pending: 100_000, active: 3, finished: 0 });
    h.actor.send({ type: 'START' });
    h.actor.send({ type: 'PAUSE' });
    h.actor.send({ type: 'COUNTS_CHANGED', pending: 7, active: 0 });
    expect(h.actor.getSnapshot().context).toEqual({ pending: 7, active: 0, finished: 0 });
  });

  it('drives a timer queue: paused means no timers and nothing fires', () => {
    const clock = new TestClock(T0);
    const queue = new TimerQueue({ clock });
    const fired: number[] = [];
    const dueTimes = [T0 + 1_000, T0 + 5_000, T0 + 9_000];
    const machine = supervisorMachine.provide({
      actions: {
        armAll: () => {
          for (const due of dueTimes) {
            if (due > clock.now()) queue.schedule(due, () => fired.push(due), String(due));
          }
        },
        disarmAll: () => queue.clear(),
      },
    });
    const actor = createActor(machine).start();
    actor.send({ type: 'START' });
    clock.advance(2_000);
    expect(fired).toEqual([T0 + 1_000]);
    actor.send({ type: 'PAUSE' });
    expect(queue.size).toBe(0);
    expect(clock.pending).toBe(0);
    clock.advance(4_000);
    expect(fired).toEqual([T0 + 1_000]);
    actor.send({ type: 'START' });
    clock.advance(10_000);
    expect(fired).toEqual([T0 + 1_000, T0 + 9_000]);
  });
});
