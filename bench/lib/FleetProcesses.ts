import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { bundledFleetInstance } from './bundledFleetInstance.js';
import type { FleetInstanceArgs } from './fleetInstanceArgs.js';
import { pidCpuMs } from './serverCpu.js';

/** Extra node flags for every instance (BENCH_FLEET_NODE_FLAGS, e.g. `--cpu-prof`). */
const INSTANCE_FLAGS = (process.env.BENCH_FLEET_NODE_FLAGS ?? '')
  .split(' ')
  .filter((f) => f !== '');

/** One running fleet instance: its process and the moment it printed `ready`. */
export type FleetProcess = Readonly<{
  instanceId: string;
  child: ChildProcess;
  /** Resolves with the wall time (epoch ms) of its `ready` line; rejects if it dies first. */
  ready: Promise<number>;
  exited: Promise<void>;
}>;

/**
 * The instance processes of one Fleet case, each its own OS process on the same schema
 * (bench/fleetInstance.ts, bundled once per case). Every process started is SIGKILLed by
 * {@link killAll} if it is still alive, so a failed case leaves none behind.
 */
export class FleetProcesses {
  readonly #entry = bundledFleetInstance();
  readonly #base: Omit<FleetInstanceArgs, 'instanceId'>;
  readonly #running = new Map<string, FleetProcess>();

  constructor(base: Omit<FleetInstanceArgs, 'instanceId'>) {
    this.#base = base;
  }

  start(instanceId: string): FleetProcess {
    const args: FleetInstanceArgs = { ...this.#base, instanceId };
    const child = spawn(process.execPath, [...INSTANCE_FLAGS, this.#entry, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4_000);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const ready = new Promise<number>((resolve, reject) => {
      let stdout = '';
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if (stdout.includes('ready\n')) resolve(Date.now());
      });
      child.once('exit', (code, signal) =>
        reject(
          new Error(
            `instance ${instanceId} ended with ${signal ?? code}: ${stderr
              .trim()
              .replace(/\s*\n\s*/g, ' | ')
              .slice(0, 300)}`,
          ),
        ),
      );
    });
    ready.catch(() => {});
    const entry = { instanceId, child, ready, exited };
    this.#running.set(instanceId, entry);
    return entry;
  }

  /** The instances started and not killed or stopped. */
  running(): readonly FleetProcess[] {
    return [...this.#running.values()];
  }

  /** SIGKILLs one instance; resolves once its process is gone. */
  async kill(instanceId: string): Promise<void> {
    const entry = this.#running.get(instanceId);
    if (entry === undefined) return;
    this.#running.delete(instanceId);
    entry.child.kill('SIGKILL');
    await entry.exited;
  }

  /** CPU time (ms) the running instances used so far, summed; undefined where /proc is absent. */
  cpuMs(): number | undefined {
    let sum = 0;
    for (const { child } of this.#running.values()) {
      const ms = child.pid === undefined ? undefined : pidCpuMs(child.pid);
      if (ms === undefined) return undefined;
      sum += ms;
    }
    return sum;
  }

  /**
   * Stops every running instance with SIGTERM (a clean stop), SIGKILL after `graceMs`, and
   * removes the bundle: the end of the case.
   */
  async stopAll(graceMs = 10_000): Promise<void> {
    const all = [...this.#running.values()];
    for (const { child } of all) child.kill('SIGTERM');
    const timer = setTimeout(() => this.killAll(), graceMs);
    await Promise.all(all.map((p) => p.exited));
    clearTimeout(timer);
    this.#running.clear();
    rmSync(this.#entry, { force: true });
  }

  /** SIGKILLs every instance still running (the end of a failed case). */
  killAll(): void {
    for (const { child } of this.#running.values()) child.kill('SIGKILL');
    this.#running.clear();
  }
}
