import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvField, toCsvRow } from '../../src/cli/format/exportFormats.js';
import type { StoredEvent } from '../../src/log/events.js';
import { createScheduler } from '../../src/scheduler/createScheduler.js';
import { sqliteStore } from '../../src/sqlite/index.js';
import {
  fileState,
  planflow,
  rawControls,
  readLog,
  useProjectDirs,
} from '../helpers/cliHarness.js';

/** A title and a command made to hide `id > PWNED` behind a harmless-looking table row. */
const HOSTILE_TITLE = 'Backup\r\u001b[2KCleanup \u202etxt.exe';
const HOSTILE_RUN = 'id > PWNED #\r\u001b[2Kecho harmless';

/**
 * Writes a log the way someone else's program would: straight through the library, with no
 * CLI (and so no approval on this machine) involved.
 */
async function handedLog(
  path: string,
  tasks: ReadonlyArray<Readonly<{ id: string; title: string; run: string }>>,
): Promise<void> {
  const store = await sqliteStore({ path });
  try {
    const scheduler = createScheduler({ store, calendar: { timeZone: 'UTC' } });
    await scheduler.ready;
    for (const t of tasks) {
      await scheduler.defineTask({
        id: t.id,
        title: t.title,
        handler: 'shell',
        payload: { run: t.run },
        timeoutMs: 10_000,
        startAt: new Date().toISOString(),
      });
    }
  } finally {
    await store.close();
  }
}

describe('planflow CLI › hostile input', () => {
  const newDir = useProjectDirs();

  describe('a log someone hands you', () => {
    it('does not run its commands: run refuses, lists them escaped, and writes nothing', async () => {
      const dir = newDir();
      const db = join(dir, 'planflow.db');
      await handedLog(db, [{ id: 'backup', title: HOSTILE_TITLE, run: HOSTILE_RUN }]);
      const before = fileState(db);

      const run = await planflow(dir, ['run', '--for', '3s', '--until-idle']);

      expect(run.code).toBe(3);
      expect(existsSync(join(dir, 'PWNED'))).toBe(false);
      expect(fileState(db)).toBe(before);
      expect(run.err).toContain('id > PWNED #\\r\\x1b[2Kecho harmless');
      expect(run.err).toContain('planflow approve backup');
      expect(run.err).toContain('--allow-commands');
      expect(rawControls(run.err)).toEqual([]);
      expect(run.out).toBe('');
    });

    it('runs a command once it is approved, and an approval of one text never approves another', async () => {
      const dir = newDir();
      const db = join(dir, 'planflow.db');
      await handedLog(db, [{ id: 'hello', title: 'Hello', run: 'echo one > RAN' }]);

      const shown = await planflow(dir, ['approve']);
      expect(shown.code).toBe(0);
      expect(shown.out).toMatch(/hello\s+not approved\s+"echo one > RAN"/);

      const approved = await planflow(dir, ['approve', 'hello']);
      expect(approved.code).toBe(0);
      expect(approved.out).toContain('Approved hello: "echo one > RAN"');
      // The approval lives outside the log, by hash: the log is not the place to trust itself.
      const file = readFileSync(join(dir, 'approvals.json'), 'utf8');
      expect(file).not.toContain('echo one');

      const run = await planflow(dir, ['run', '--for', '3s', '--until-idle']);
      expect(run.code).toBe(0);
      expect(readFileSync(join(dir, 'RAN'), 'utf8').trim()).toBe('one');

      // The same task id with another command: a new text needs a new approval.
      const store = await sqliteStore({ path: db });
      try {
        const scheduler = createScheduler({ store });
        await scheduler.ready;
        await scheduler.updateTask('hello', { payload: { run: 'echo two > RAN' } });
      } finally {
        await store.close();
      }
      const before = fileState(db);
      const refused = await planflow(dir, ['run', '--for', '3s', '--until-idle']);
      expect(refused.code).toBe(3);
      expect(refused.err).toContain('"echo two > RAN"');
      expect(fileState(db)).toBe(before);
      expect(readFileSync(join(dir, 'RAN'), 'utf8').trim()).toBe('one');
    });

    it('approves every command with --all, and runs unapproved ones once with --allow-commands', async () => {
      const dir = newDir();
      const db = join(dir, 'planflow.db');
      await handedLog(db, [
        { id: 'a', title: 'A', run: 'echo a > A.txt' },
        { id: 'b', title: 'B', run: 'echo b > B.txt' },
      ]);
      const once = await planflow(dir, ['run', '--for', '3s', '--until-idle', '--allow-commands']);
      expect(once.code).toBe(0);
      expect(existsSync(join(dir, 'A.txt')) && existsSync(join(dir, 'B.txt'))).toBe(true);
      // A one-off override approves nothing for next time.
      expect((await planflow(dir, ['approve'])).out).toMatch(/a\s+not approved/);

      const all = await planflow(dir, ['approve', '--all']);
      expect(all.code).toBe(0);
      expect(all.out).toContain('Approved a: "echo a > A.txt"');
      expect(all.out).toContain('Approved b: "echo b > B.txt"');
      expect((await planflow(dir, ['approve'])).out).not.toContain('not approved');
    });

    it('refuses to approve a task that is not in the log', async () => {
      const dir = newDir();
      await handedLog(join(dir, 'planflow.db'), [{ id: 'a', title: 'A', run: 'true' }]);
      const result = await planflow(dir, ['approve', 'nope']);
      expect(result.code).toBe(2);
      expect(result.err).toContain('approve: no task "nope"');
      expect(existsSync(join(dir, 'approvals.json'))).toBe(false);
    });

    it('lets the operator run what they typed themselves with task add --run', async () => {
      const dir = newDir();
      await planflow(dir, ['init', '--tz', 'UTC']);
      await planflow(dir, ['task', 'add', 'Mine', '--at', 'now', '--run', 'echo mine > M.txt']);
      const run = await planflow(dir, ['run', '--for', '3s', '--until-idle']);
      expect(run.code).toBe(0);
      expect(readFileSync(join(dir, 'M.txt'), 'utf8').trim()).toBe('mine');
    });

    it('shows stored control characters escaped in task list, history and errors', async () => {
      const dir = newDir();
      const db = join(dir, 'planflow.db');
      await handedLog(db, [{ id: 'backup', title: HOSTILE_TITLE, run: HOSTILE_RUN }]);

      const list = await planflow(dir, ['task', 'list']);
      expect(list.code).toBe(0);
      expect(rawControls(list.out)).toEqual([]);
      expect(list.out).toContain('Backup\\r\\x1b[2KCleanup \\u202etxt.exe');
      expect(list.out).toContain('id > PWNED #\\r\\x1b[2Kecho harmless');

      const history = await planflow(dir, ['history']);
      expect(history.code).toBe(0);
      expect(rawControls(history.out)).toEqual([]);
      expect(history.out).toContain('\\x1b[2K');

      // JSON stays JSON, and parses back to the stored text exactly.
      for (const args of [
        ['task', 'list', '--json'],
        ['history', '--json'],
      ]) {
        const json = await planflow(dir, args);
        expect(rawControls(json.out)).toEqual([]);
        expect(json.out).toContain('Cleanup \\u202etxt.exe');
        expect(JSON.stringify(JSON.parse(json.out))).toContain(JSON.stringify(HOSTILE_TITLE));
      }

      const missing = await planflow(dir, ['history', 'x\u001b[8mhidden\u009b']);
      expect(missing.code).toBe(2);
      expect(rawControls(missing.err)).toEqual([]);
      expect(missing.err).toContain('x\\x1b[8mhidden\\x9b');
    });
  });

  describe('CSV export', () => {
    it('neutralises cells a spreadsheet would run as formulas, and quotes every cell', () => {
      for (const cell of ['=1+1', '+1', '-AEeT9', '@SUM(A1)', '\tx', '\rx']) {
        expect(csvField(cell)).toBe(`"'${cell.replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`);
      }
      expect(csvField('plain')).toBe('"plain"');
      const event = {
        seq: 7,
        id: '-AEeT9RobKQG3Oj5apME8',
        time: '2026-03-02T08:00:00.000Z',
        type: 'task.removed',
        stream: '=cmd|/C calc!A0',
        schemaVersion: 1,
        prevHash: 'p',
        hash: 'h',
        data: { taskId: '=HYPERLINK("x")' },
      } as unknown as StoredEvent;
      expect(toCsvRow(event)).toBe(
        '"7","\'-AEeT9RobKQG3Oj5apME8","2026-03-02T08:00:00.000Z","task.removed","\'=cmd|/C calc!A0","1","p","h","{""taskId"":""=HYPERLINK(\\""x\\"")""}"\r\n',
      );
    });

    it('writes no cell of a real export that starts with a formula character', async () => {
      const dir = newDir();
      const db = join(dir, 'planflow.db');
      await handedLog(db, [
        { id: 'a', title: '=1+1', run: '@x' },
        { id: 'b', title: HOSTILE_TITLE, run: HOSTILE_RUN },
      ]);
      const result = await planflow(dir, ['export', '--format', 'csv']);
      expect(result.code).toBe(0);
      expect(rawControls(result.out, '\r\n')).toEqual([]);
      const cells = result.out.match(/"(?:[^"]|"")*"/g) ?? [];
      expect(cells.length).toBe(((await readLog(db)).length + 1) * 9);
      for (const cell of cells) expect(cell).not.toMatch(/^"[=+\-@\t\r]/);
    });
  });

  describe('export write failures', () => {
    it.each([
      ['a missing directory', '/nonexistent/x.csv'],
      ['a path under a regular file', 'file.txt/x.csv'],
    ])('refuses %s with a non-zero exit naming the path', async (_name, out) => {
      const dir = newDir();
      await planflow(dir, ['init', '--tz', 'UTC']);
      writeFileSync(join(dir, 'file.txt'), 'a regular file');
      const result = await planflow(dir, ['export', '--out', out]);
      expect(result.code).toBe(2);
      expect(result.err).toContain(out.startsWith('/') ? out : join(dir, out));
      expect(result.err).not.toContain('Exported');
    });

    it('fails with exit 1 and the path when the disk is full (/dev/full)', async () => {
      expect(existsSync('/dev/full'), 'this test needs the /dev/full device').toBe(true);
      const dir = newDir();
      await planflow(dir, ['init', '--tz', 'UTC']);
      const result = await planflow(dir, ['export', '--out', '/dev/full']);
      expect(result.code).toBe(1);
      expect(result.err).toContain('/dev/full');
      expect(result.err).toMatch(/ENOSPC|no space/i);
      expect(result.err).not.toContain('Exported');
    });
  });

  describe('calendar changes', () => {
    it('refuses --remove-holiday notadate with exit 2 and appends nothing', async () => {
      const dir = newDir();
      const db = join(dir, 'planflow.db');
      await planflow(dir, ['init', '--tz', 'UTC']);
      const before = fileState(db);
      const result = await planflow(dir, ['calendar', '--remove-holiday', 'notadate']);
      expect(result.code).toBe(2);
      expect(result.err).toMatch(
        /calendar: --remove-holiday must be an existing date .*"notadate"/,
      );
      expect(fileState(db)).toBe(before);
    });

    it('appends nothing for a change that changes nothing, and says so', async () => {
      const dir = newDir();
      const db = join(dir, 'planflow.db');
      await planflow(dir, ['init', '--tz', 'UTC']);
      expect((await planflow(dir, ['calendar', '--holiday', '2026-12-25'])).code).toBe(0);
      const entries = (await readLog(db)).length;
      for (const args of [
        ['calendar', '--holiday', '2026-12-25'],
        ['calendar', '--remove-holiday', '2026-12-26'],
        ['calendar', '--tz', 'UTC'],
      ]) {
        const result = await planflow(dir, args);
        expect(result.code).toBe(0);
        expect(result.out).toContain('Calendar unchanged');
        expect((await readLog(db)).length).toBe(entries);
      }
    });
  });
});
