import { describe, expect, it } from 'vitest';
import { RunSignal } from '../../src/scheduler/actors/RunSignal.js';

describe('RunSignal', () => {
  it('hands out one live AbortSignal that aborts with the run', () => {
    const run = new RunSignal();
    const signal = run.signal;
    expect(run.signal).toBe(signal);
    expect(signal.aborted).toBe(false);
    const heard: unknown[] = [];
    signal.addEventListener('abort', () => heard.push(signal.reason));
    const reason = new Error('stop');
    run.abort(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
    expect(heard).toEqual([reason]);
  });

  it('gives an already-aborted signal, with the reason, when read after the abort', () => {
    const run = new RunSignal();
    const reason = new Error('timed out');
    run.abort(reason);
    expect(run.aborted).toBe(true);
    expect(run.signal.aborted).toBe(true);
    expect(run.signal.reason).toBe(reason);
  });

  it('aborts with an AbortError DOMException when no reason is given, as AbortController does', () => {
    const run = new RunSignal();
    run.abort();
    expect(run.reason).toBeInstanceOf(DOMException);
    expect((run.reason as DOMException).name).toBe('AbortError');
    expect(run.signal.reason).toBe(run.reason);
  });

  it('aborts once: a later abort keeps the first reason and calls no listener again', () => {
    const run = new RunSignal();
    let calls = 0;
    run.onAbort(() => calls++);
    const first = new Error('first');
    run.abort(first);
    run.abort(new Error('second'));
    expect(run.reason).toBe(first);
    expect(calls).toBe(1);
  });

  it('calls its listener at once when already aborted, and never once removed', () => {
    const late = new RunSignal();
    late.abort();
    let lateCalls = 0;
    late.onAbort(() => lateCalls++);
    expect(lateCalls).toBe(1);

    const removed = new RunSignal();
    let removedCalls = 0;
    const forget = removed.onAbort(() => removedCalls++);
    forget();
    removed.abort();
    expect(removedCalls).toBe(0);
    expect(removed.aborted).toBe(true);
  });
});
