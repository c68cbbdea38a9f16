import { describe, expect, it } from 'vitest';
import { RunGate } from '../../src/scheduler/actors/RunGate.js';
import { deferred } from '../helpers/harness.js';

describe('RunGate', () => {
  it('refuses a key while its execution runs and frees it when that settles, even by rejecting', async () => {
    const gate = new RunGate();
    const first = deferred();
    expect(gate.tryHold('k', () => first.promise)).toBe(first.promise);
    expect(gate.tryHold('k', () => Promise.resolve())).toBeUndefined();
    expect(gate.tryHold('other', () => Promise.resolve())).toBeDefined();

    const released = gate.released('k', new AbortController().signal);
    first.reject(new Error('late failure'));
    await expect(first.promise).rejects.toThrow('late failure');
    expect(await released).toBe(true);
    expect(gate.isHeld('k')).toBe(false);
  });

  it('lets only one of two woken waiters take the key', async () => {
    const gate = new RunGate();
    const holder = deferred();
    gate.tryHold('k', () => holder.promise);
    const signal = new AbortController().signal;
    const started: string[] = [];
    const waiter = async (name: string) => {
      const start = () => {
        started.push(name);
        return new Promise<void>(() => {});
      };
      while (gate.tryHold('k', start) === undefined) {
        await gate.released('k', signal);
        if (started.length > 0 && !started.includes(name)) return;
      }
    };
    const a = waiter('a');
    const b = waiter('b');
    holder.resolve();
    await Promise.all([a, b]);
    expect(started).toHaveLength(1);
  });

  it('answers false when the signal aborts, and keeps no waiter behind on a promise that never settles', async () => {
    const gate = new RunGate();
    gate.tryHold('k', () => new Promise(() => {}));
    for (let i = 0; i < 1_000; i++) {
      const controller = new AbortController();
      const released = gate.released('k', controller.signal);
      expect(gate.waitingFor('k')).toBe(1);
      controller.abort();
      expect(await released).toBe(false);
    }
    expect(gate.size).toBe(1);
    expect(gate.waitingFor('k')).toBe(0);
    const aborted = new AbortController();
    aborted.abort();
    expect(await gate.released('k', aborted.signal)).toBe(false);
  });
});
