import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInspectorServer } from '@statelyai/inspect/server';
import { afterEach, describe, expect, it } from 'vitest';
import { runCalendar } from '../../examples/calendar.js';
import { runDurable } from '../../examples/durable.js';
import { runFleet } from '../../examples/fleet.js';
import { runInspector } from '../../examples/inspector.js';
import { runQuickstart } from '../../examples/quickstart.js';
import { runTestingExample } from '../../examples/testing.js';
import { TestClock } from '../../src/testing/TestClock.js';
import { advanceFleet } from '../helpers/fleetTime.js';
import { newSchemaName, PG_URL, requirePostgres } from '../helpers/pgSchemas.js';

// Every example runs here on a TestClock (its `sleep` advances the clock), so a program that
// takes seconds of real time takes milliseconds; the inspector also runs as a real process.

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const root = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A TestClock, a `sleep` that advances it, and a `print` that collects lines. */
function simulated() {
  const clock = new TestClock(T0);
  const lines: string[] = [];
  return {
    clock,
    lines,
    sleep: async (ms: number) => {
      await clock.advanceAsync(ms);
    },
    print: (line: string) => {
      lines.push(line);
    },
  };
}

it('runs every example: each file in examples/ is tested here or in its own test file', () => {
  const tested = ['calendar', 'durable', 'fleet', 'inspector', 'quickstart', 'testing'];
  const ownTest = { demo: 'test/project/demo.test.ts' };
  const files = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts'));
  expect(files.sort()).toEqual(
    [...tested, ...Object.keys(ownTest)].map((name) => `${name}.ts`).sort(),
  );
  for (const [name, test] of Object.entries(ownTest)) {
    expect(readFileSync(join(root, test), 'utf8')).toContain(`from '../../examples/${name}.js'`);
  }
});

describe('examples/quickstart.ts', () => {
  it('fires the one-shot once and the recurring task on its grid, then prints the history', async () => {
    const sim = simulated();
    const fired = await runQuickstart(sim);
    expect(fired).toEqual([
      { taskId: 'stretch', atMs: T0 + 1_000, attempt: 0 },
      { taskId: 'water', atMs: T0 + 1_500, attempt: 0 },
      { taskId: 'water', atMs: T0 + 3_500, attempt: 0 },
    ]);
    const out = sim.lines.join('\n');
    expect(out).toContain('started; 2 occurrences armed');
    expect(out).toMatch(/\+1\.5s occurrence\.triggered/);
    expect(out).toMatch(/\+3\.5s occurrence\.recurred/);
    expect(out).toMatch(/stretch .* initial {4}done/);
    expect(out).toMatch(/water .* recurrence scheduled/);
  });
});

describe('examples/fleet.ts', () => {
  it('spreads six tasks over two instances, hands them all to one when the other stops, and verifies', async () => {
    await requirePostgres();
    const sim = simulated();
    const schema = newSchemaName();
    const result = await runFleet({
      ...sim,
      connectionString: PG_URL,
      schema,
      // The server's round trips take real time; the clock moves a heartbeat at a time.
      sleep: (ms) => advanceFleet(schema, sim.clock, ms, 'all', 1000),
    });
    // Both had a share while both ran (a task may move once, as replica-b joins).
    expect(result.together['replica-a']?.length).toBeGreaterThan(0);
    expect(result.together['replica-b']?.length).toBeGreaterThan(0);
    // After replica-a stopped, replica-b ran every task.
    expect(result.afterStop).toEqual({
      'replica-b': ['billing', 'cleanup', 'digest', 'export', 'metrics', 'reindex'],
    });
    expect(result.triggeredTwice).toEqual([]);
    expect(result.verified).toBe(true);
    expect(sim.lines.join('\n')).toMatch(/^after replica-a stopped: replica-b ran billing /m);
  });
});

describe('examples/durable.ts', () => {
  it('rebuilds, re-arms, recovers what was missed while down, and verifies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'planflow-durable-'));
    dirs.push(dir);
    const sim = simulated();
    const result = await runDurable({ ...sim, path: join(dir, 'durable.db') });
    expect(result).toEqual({
      rebuilt: true,
      armedAfterRestart: 3, // the archive, the report's retry, the backup's recovery
      verified: true,
      executions: [
        'backup initial recurred',
        'report initial retrying',
        'archive initial done',
        'backup recurrence recurred',
        'backup recurrence recovered',
        'report retry done',
        'backup recovery recurred',
        'backup recurrence scheduled',
      ],
    });
    const out = sim.lines.join('\n');
    expect(out).toContain('3 tasks and 5 executions rebuilt from the log (identical)');
    expect(out).toContain('missed report by 2.5 s');
    expect(out).toContain('missed backup by 2.0 s');
    expect(out).toContain('occurrence.retried: report again at +8.0s');
    expect(out).toContain('occurrence.recovered: backup again at +9.0s');
    expect(out).toMatch(/\+9\.5s {2}ran archive \(initial, attempt 0\)/);
    expect(out).toMatch(/verify: ok \(\d+ entries\)/);
  });
});

describe('examples/calendar.ts', () => {
  it('keeps local slot times across the DST change and honours cap, pin and holidays', async () => {
    const lines: string[] = [];
    const landings = await runCalendar({ print: (line) => lines.push(line) });
    const of = (taskId: string) => landings.filter((l) => l.taskId === taskId).map((l) => l.at);
    // 09:30 local is 08:30Z in winter time and 07:30Z from Monday 30 March (summer time).
    expect(of('standup')).toEqual([
      '2026-03-26T08:30:00.000Z',
      '2026-03-27T08:30:00.000Z',
      '2026-03-30T07:30:00.000Z',
      '2026-03-31T07:30:00.000Z',
      '2026-04-01T07:30:00.000Z',
      '2026-04-02T07:30:00.000Z',
      '2026-04-07T07:30:00.000Z', // Good Friday's, after the Easter holidays
    ]);
    // Due at 08:00 (before hours): the preferred afternoon slot; none on the capped Tuesday.
    expect(of('review').map((at) => at.slice(5, 16))).toEqual([
      '03-26T14:00',
      '03-27T14:00',
      '03-30T13:00',
      '04-01T13:00',
      '04-02T13:00',
      '04-07T13:00',
    ]);
    expect(landings.filter((l) => l.taskId === 'review').every((l) => l.slot === 'afternoon')).toBe(
      true,
    );
    expect(landings.find((l) => l.taskId === 'audit')).toEqual({
      taskId: 'audit',
      at: '2026-03-31T09:15:00.000Z',
      local: 'Tue 31 Mar, 11:15 CEST',
    });
    const perDay = new Map<string, number>();
    for (const l of landings)
      perDay.set(l.local.slice(0, 10), (perDay.get(l.local.slice(0, 10)) ?? 0) + 1);
    expect(Math.max(...perDay.values())).toBe(2);
    expect([...perDay.keys()].some((day) => /03 Apr|06 Apr|Sat|Sun/.test(day))).toBe(false);
    expect(lines).toContain('Mon 30 Mar, 09:30 CEST   07:30Z  standup  slot morning');
  });
});

describe('examples/testing.ts', () => {
  it('passes its own assertions with a TestClock and with @sinonjs/fake-timers', async () => {
    const lines: string[] = [];
    const { week, nightly } = await runTestingExample({ print: (line) => lines.push(line) });
    expect(week).toHaveLength(6);
    expect(nightly).toEqual(['2026-03-02T02:00:00.000Z', '2026-03-02T02:10:00.000Z']);
    expect(lines).toEqual([
      '✓ TestClock: 6 runs in a simulated week, the failed one retried',
      '✓ fake-timers: the hung call timed out after 30 s; its retry waited for it, then succeeded',
    ]);
    // The fake timers were uninstalled: real time moves again.
    const before = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(Date.now()).toBeGreaterThan(before);
  });
});

describe('examples/inspector.ts', () => {
  const supervisorStates = [
    'idle',
    'running.healthy',
    'paused',
    'running.healthy',
    'stopping',
    'stopped',
  ];

  it('shows the supervisor and every occurrence actor to the inspect observer', async () => {
    const sim = simulated();
    const result = await runInspector({ ...sim, stately: false });
    expect(result.inspector).toBe('local');
    // 'later' is far in the future but live (horizonMs: Infinity); pause() pauses its actor
    // and start() resumes the same one. The effects are actions, not invoked actors: no
    // actor besides these two kinds.
    expect(result.actors).toEqual({ supervisor: 1, occurrence: 2 });
    // 'stretch' ran once: its claim, its run and its record were each answered once.
    expect(result.events).toMatchObject({ CLAIM_ANSWERED: 1, RUN_SETTLED: 1, RECORDED: 1 });
    expect(result.states.supervisor).toEqual(supervisorStates);
    expect(result.states.stretch).toEqual([
      'scheduled.armed',
      'triggered.claiming',
      'triggered.running',
      'recording',
      'done',
    ]);
    // stop() pauses it with every timer, then lets go of it: it stays scheduled in the log.
    expect(result.states.later).toEqual([
      'scheduled.armed',
      'scheduled.paused',
      'scheduled.armed',
      'scheduled.paused',
      'released',
    ]);
    expect(sim.lines.join('\n')).not.toContain('@statelyai/inspect');
  });

  it('loads @statelyai/inspect only when asked, without connecting anywhere', async () => {
    const sim = simulated();
    const result = await runInspector({ ...sim, stately: true });
    expect(result.inspector).toBe('stately');
    expect(result.states.supervisor).toEqual(supervisorStates);
    expect(sim.lines[0]).toBe('inspector: @statelyai/inspect loaded, not connected');
  });

  it('exits by itself as a process with the Stately inspector loaded', async () => {
    const run = await runExample('examples/inspector.ts', { PLANFLOW_INSPECT: '1' });
    expect(run.code).toBe(0);
    expect(run.ms).toBeLessThan(20_000);
    expect(run.out).toContain('inspector: @statelyai/inspect loaded, not connected');
    expect(run.out).toMatch(/actors observed: supervisor ×1, occurrence ×2/);
  });

  it('exits by itself after streaming to a local inspector server', async () => {
    const port = await freePort();
    const server = createInspectorServer({ port, autoOpen: false });
    try {
      const url = `ws://127.0.0.1:${port}`;
      const run = await runExample('examples/inspector.ts', {
        PLANFLOW_INSPECT: '1',
        PLANFLOW_INSPECT_URL: url,
      });
      expect(run.code).toBe(0);
      expect(run.out).toContain(`inspector: @statelyai/inspect loaded, ${url}`);
      expect(run.out).toContain('supervisor         → stopped');
    } finally {
      server.stop();
    }
  });
});

/** Runs an example with tsx as its own process; kills it after 20 s (then `code` is null). */
function runExample(
  file: string,
  env: Readonly<Record<string, string>>,
): Promise<{ code: number | null; out: string; ms: number }> {
  const started = Date.now();
  const { PLANFLOW_INSPECT: _a, PLANFLOW_INSPECT_URL: _b, ...inherited } = process.env;
  const child = spawn(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), file], {
    cwd: root,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, ms: Date.now() - started });
    });
  });
}

/** A TCP port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(),
      );
    });
  });
}
