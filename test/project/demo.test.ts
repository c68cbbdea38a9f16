import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runDemo } from '../../examples/demo.js';
import { TestClock } from '../../src/testing/TestClock.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the main job (npm start)', () => {
  it('shows triggers, a retried failure, a recovered miss, and a verified rebuild', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'planflow-demo-'));
    dirs.push(dir);
    const clock = new TestClock(Date.parse('2026-03-02T09:00:00.000Z'));
    const lines: string[] = [];
    const result = await runDemo({
      path: join(dir, 'demo.db'),
      clock,
      sleep: async (ms) => {
        await clock.advanceAsync(ms);
      },
      print: (line) => lines.push(line),
    });
    const out = lines.join('\n');
    expect(result.ok).toBe(true);
    expect(out).toMatch(/occurrence\.failed\s+Send the daily report — mail server unavailable/);
    expect(out).toMatch(/occurrence\.retried\s+Send the daily report/);
    expect(out).toMatch(/report sent \(attempt 1/);
    expect(out).toMatch(/scheduler\.paused/);
    expect(out).toMatch(/occurrence\.missed\s+Sync the inbox/);
    expect(out).toMatch(/occurrence\.recovered\s+Sync the inbox/);
    expect(out).toMatch(/retry\s+attempt 1 {2}done \(completed\)/);
    expect(out).toMatch(/verify: ok — \d+ entries, hash chain intact/);
    // Nothing fires while paused: no trigger is printed between the pause and the restart.
    const paused = out.slice(out.indexOf('-- pause'), out.indexOf('-- start'));
    expect(paused).not.toMatch(/occurrence\.triggered/);
  });
});
