import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/runCli.js';
import type { StoredEvent } from '../../src/log/events.js';
import { verifyChain } from '../../src/log/verifyChain.js';
import { nodeExit, planflow, readLog, useProjectDirs } from '../helpers/cliHarness.js';

/** A process that exited but was not reaped yet (a zombie) counts as gone. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  const text = readFileSync(stat, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3) !== 'Z';
}

const ofType = (log: readonly StoredEvent[], type: string) => log.filter((e) => e.type === type);

describe('planflow CLI', () => {
  const newDir = useProjectDirs();

  describe('the whole flow: init → task add → list → run → history → verify → export', () => {
    it('records a passing and a retried failing command, and reports them', async () => {
      const dir = newDir();
      const db = join(dir, 'planflow.db');

      const init = await planflow(dir, ['init', '--tz', 'UTC']);
      expect(init.code).toBe(0);
      expect(existsSync(db)).toBe(true);

      const ok = await planflow(dir, [
        'task',
        'add',
        'Say hello',
        '--at',
        'now',
        '--run',
        nodeExit(0),
      ]);
      expect(ok).toMatchObject({ code: 0, err: '' });
      expect(ok.out).toContain('Added task say-hello');
      const flaky = await planflow(dir, [
        'task',
        'add',
        'Flaky job',
        '--at',
        'now',
        '--retries',
        '1',
        '--retry-delay',
        '0s',
        '--run',
        nodeExit(3),
      ]);
      expect(flaky.code).toBe(0);

      const list = await planflow(dir, ['task', 'list']);
      expect(list.code).toBe(0);
      expect(list.out).toMatch(/say-hello\s+Say hello\s+once/);
      expect(list.out).toContain('node -e "process.exit(3)"');
      const listed = JSON.parse((await planflow(dir, ['task', 'list', '--json'])).out);
      expect(listed.map((r: { task: { id: string } }) => r.task.id).sort()).toEqual([
        'flaky-job',
        'say-hello',
      ]);
      expect(listed.every((r: { next?: unknown }) => r.next !== undefined)).toBe(true);

      // The real clock runs here; --until-idle ends the run as soon as both tasks are settled
      // and --for bounds it. Assertions are on the log's content, never on timing.
      const run = await planflow(dir, ['run', '--for', '3s', '--until-idle']);
      expect(run.code).toBe(0);
      expect(run.out).toMatch(/occurrence\.completed\s+Say hello\s+o_[0-9a-f]{8}\s+ok in/);
      expect(run.out).toMatch(
        /occurrence\.failed\s+Flaky job\s+o_[0-9a-f]{8}\s+failed: command exited with code 3/,
      );
      expect(run.err).toMatch(/Stopped after .*: 3 run\(s\), 1 ok, 2 failed, 0 missed; 0 pending/);

      const log = await readLog(db);
      const triggered = ofType(log, 'occurrence.triggered');
      expect(triggered).toHaveLength(3);
      expect(ofType(log, 'occurrence.completed')).toHaveLength(1);
      const failed = ofType(log, 'occurrence.failed');
      expect(failed).toHaveLength(2);
      for (const f of failed) {
        expect(f.type === 'occurrence.failed' && f.data.error.message).toBe(
          'command exited with code 3',
        );
      }
      expect(ofType(log, 'occurrence.retried')).toHaveLength(1);
      expect(log.at(-1)?.type).toBe('scheduler.stopped');

      const history = await planflow(dir, ['history', 'flaky-job']);
      expect(history.code).toBe(0);
      expect(history.out).toMatch(/occurrence\.retried\s+Flaky job\s+o_[0-9a-f]{8}\s+retry → o_/);
      expect(history.out).not.toContain('Say hello');
      const entries: StoredEvent[] = JSON.parse(
        (await planflow(dir, ['history', 'flaky-job', '--json'])).out,
      );
      expect(entries.filter((e) => e.type === 'occurrence.failed')).toHaveLength(2);

      const retried = ofType(log, 'occurrence.retried')[0]!;
      const retryId = retried.type === 'occurrence.retried' ? retried.data.retryId : '';
      const one = JSON.parse(
        (await planflow(dir, ['history', '--occurrence', retryId.slice(0, 10), '--json'])).out,
      ) as StoredEvent[];
      expect(one.map((e) => e.type)).toEqual([
        'occurrence.scheduled',
        'occurrence.triggered',
        'occurrence.failed',
      ]);

      const verify = await planflow(dir, ['verify']);
      expect(verify.code).toBe(0);
      expect(verify.out).toContain(`ok: ${log.length} entries verify`);

      const jsonl = await planflow(dir, ['export']);
      const lines = jsonl.out
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as StoredEvent);
      expect(lines.map((e) => e.seq)).toEqual(log.map((e) => e.seq));
      // The export carries everything needed to re-check the chain independently.
      expect(await verifyChain([lines])).toMatchObject({ ok: true, entries: log.length });

      const csv = await planflow(dir, ['export', '--format', 'csv', '--out', 'log.csv']);
      expect(csv.code).toBe(0);
      const records = readFileSync(join(dir, 'log.csv'), 'utf8').trimEnd().split('\r\n');
      expect(records[0]).toBe(
        '"seq","id","time","type","stream","schemaVersion","prevHash","hash","data"',
      );
      expect(records).toHaveLength(log.length + 1);
      expect(records[1]).toMatch(
        /^"1","[^"]+","[^"]+","calendar\.configured","calendar","1","0{64}","[0-9a-f]{64}","\{""calendar""/,
      );
    });
  });

  describe('run', () => {
    it('fails a command that outlives its --timeout and kills it', async () => {
      const dir = newDir();
      await planflow(dir, ['init', '--tz', 'UTC']);
      await planflow(dir, [
        'task',
        'add',
        'Slow',
        '--at',
        'now',
        '--timeout',
        '300ms',
        '--run',
        // A grandchild of the shell: the timeout must reach it too, not only the shell.
        'sleep 60 & echo $! > pid.txt; wait',
      ]);
      const run = await planflow(dir, ['run', '--for', '3s', '--until-idle']);
      expect(run.code).toBe(0);
      const failed = ofType(await readLog(join(dir, 'planflow.db')), 'occurrence.failed')[0];
      expect(failed?.type === 'occurrence.failed' && failed.data.error).toMatchObject({
        name: 'TimeoutError',
        timedOut: true,
      });
      expect(run.out).toContain('timed out: handler exceeded its 300 ms timeout');
      // `run` returns only after the command it killed has exited: no process outlives it.
      const pid = Number(readFileSync(join(dir, 'pid.txt'), 'utf8'));
      expect(isAlive(pid)).toBe(false);
    });

    it('stops gracefully on an interrupt: running commands finish and the stop is recorded', async () => {
      const dir = newDir();
      await planflow(dir, ['init', '--tz', 'UTC']);
      await planflow(dir, ['task', 'add', 'Quick', '--at', 'now', '--run', nodeExit(0)]);
      let interrupt: ((signal: string) => void) | undefined;
      let unsubscribed = false;
      let out = '';
      const code = await runCli(['run'], {
        cwd: dir,
        approvals: join(dir, 'approvals.json'),
        stdout: (text) => {
          out += text;
          if (text.includes('occurrence.triggered')) interrupt?.('SIGINT');
        },
        stderr: () => {},
        onInterrupt: (listener) => {
          interrupt = listener;
          return () => {
            unsubscribed = true;
          };
        },
      });
      expect(code).toBe(0);
      expect(unsubscribed).toBe(true);
      const types = (await readLog(join(dir, 'planflow.db'))).map((e) => e.type);
      expect(types.slice(-2)).toEqual(['occurrence.completed', 'scheduler.stopped']);
      expect(out).toContain('scheduler.stopped');
    });

    it('kills running commands at once on a second interrupt', async () => {
      const dir = newDir();
      await planflow(dir, ['init', '--tz', 'UTC']);
      await planflow(dir, [
        'task',
        'add',
        'Stuck',
        '--at',
        'now',
        '--run',
        'echo started; sleep 60',
      ]);
      let interrupt: ((signal: string) => void) | undefined;
      let err = '';
      const code = await runCli(['run', '--output'], {
        cwd: dir,
        approvals: join(dir, 'approvals.json'),
        stdout: (text) => {
          if (text.startsWith('started')) {
            interrupt?.('SIGINT');
            interrupt?.('SIGINT');
          }
        },
        stderr: (text) => {
          err += text;
        },
        onInterrupt: (listener) => {
          interrupt = listener;
          return () => {};
        },
      });
      expect(code).toBe(0);
      expect(err).toContain('SIGINT: killing running commands');
      const failed = ofType(await readLog(join(dir, 'planflow.db')), 'occurrence.failed')[0];
      // Killed by the second interrupt, not aborted after the graceful wait.
      expect(failed?.type === 'occurrence.failed' && failed.data.error.message).toBe(
        'command was killed by SIGKILL',
      );
    });
  });
});
