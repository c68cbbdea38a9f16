import type { ArchiveStep } from '../../src/log/ArchivingStore.js';

/**
 * The `onStep` of a crash test's child: prints `step <name>` for each step and, at `phase`,
 * freezes the process so the parent's SIGKILL lands exactly there.
 */
export function freezingAt(phase: string): (step: ArchiveStep) => void {
  return (step) => {
    // Writes to a pipe are synchronous on Linux: the line is out before the freeze.
    process.stdout.write(`step ${step}\n`);
    if (step === phase) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  };
}
