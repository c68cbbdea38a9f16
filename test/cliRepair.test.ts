import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { fileState, planflow, readLog, useProjectDirs } from './cliHarness.js';

/** Changes one stored payload behind the store's back, as tampering or bit rot would. */
function tamper(path: string, seq: number): void {
  const db = new Database(path);
  try {
    db.prepare(`UPDATE events SET data = json_set(data, '$.forged', 1) WHERE seq = ?`).run(seq);
  } finally {
    db.close();
  }
}

describe('planflow CLI › verify and repair', () => {
  const newDir = useProjectDirs();

  async function projectWithTasks(): Promise<string> {
    const dir = newDir();
    await planflow(dir, ['init', '--tz', 'UTC']);
    await planflow(dir, ['task', 'add', 'One', '--every', '1h']);
    await planflow(dir, ['task', 'add', 'Two', '--every', '2h']);
    return dir;
  }

  it('verify exits 1 on a changed entry and names the first bad position', async () => {
    const dir = await projectWithTasks();
    const db = join(dir, 'planflow.db');
    const entries = (await readLog(db)).length;
    tamper(db, 3);
    const before = fileState(db);

    const verify = await planflow(dir, ['verify']);
    expect(verify.code).toBe(1);
    expect(verify.out).toContain('broken at entry #3: entry #3 was changed after it was written');
    expect(verify.out).toContain('Entries 1..2 verify');
    const json = JSON.parse((await planflow(dir, ['verify', '--json'])).out);
    expect(json).toMatchObject({ ok: false, firstBadSeq: 3, entries: 2 });
    expect(fileState(db)).toBe(before);
    expect(entries).toBeGreaterThan(3);
  });

  it('refuses to read or write a corrupt log (exit 1) and points at verify and repair', async () => {
    const dir = await projectWithTasks();
    const db = join(dir, 'planflow.db');
    tamper(db, 2);
    const before = fileState(db);
    for (const args of [['task', 'list'], ['task', 'add', 'X', '--at', 'now'], ['history']]) {
      const result = await planflow(dir, args);
      expect(result.code).toBe(1);
      expect(result.err).toMatch(/fails verification at entry #2/);
      expect(result.err).toContain('planflow repair keeps the valid ones');
    }
    expect(fileState(db)).toBe(before);
  });

  it('export --no-verify still writes a corrupt log out, for inspection', async () => {
    const dir = await projectWithTasks();
    const db = join(dir, 'planflow.db');
    tamper(db, 2);
    expect((await planflow(dir, ['export'])).code).toBe(1);
    const exported = await planflow(dir, ['export', '--no-verify']);
    expect(exported.code).toBe(0);
    const second = JSON.parse(exported.out.split('\n')[1] ?? '{}');
    expect(second).toMatchObject({ seq: 2, data: { forged: 1 } });
  });

  it('repair keeps the entries before the first bad one, backs the file up, and verifies again', async () => {
    const dir = await projectWithTasks();
    const db = join(dir, 'planflow.db');
    const copy = join(dir, 'copy.db');
    copyFileSync(db, copy);
    const entries = (await readLog(copy)).length;
    tamper(copy, 4);

    const repair = await planflow(dir, ['repair', '--db', 'copy.db', '--backup', 'copy.bak']);
    expect(repair.code).toBe(0);
    expect(repair.out).toContain(`Backup written to ${join(dir, 'copy.bak')}`);
    expect(repair.out).toContain(`kept 3 entries, removed ${entries - 3}`);
    expect(existsSync(join(dir, 'copy.bak'))).toBe(true);
    expect((await readLog(join(dir, 'copy.bak'))).length).toBe(entries);
    expect((await planflow(dir, ['verify', '--db', 'copy.db'])).code).toBe(0);
    expect((await readLog(copy)).map((e) => e.seq)).toEqual([1, 2, 3]);

    const again = await planflow(dir, ['repair', '--db', 'copy.db']);
    expect(again.code).toBe(0);
    expect(again.out).toContain('Nothing to repair: all 3 entries verify');
  });

  it('refuses a backup path that exists (exit 2) without touching the log', async () => {
    const dir = await projectWithTasks();
    const db = join(dir, 'planflow.db');
    tamper(db, 2);
    copyFileSync(db, join(dir, 'taken.bak'));
    const before = fileState(db);
    const repair = await planflow(dir, ['repair', '--backup', 'taken.bak']);
    expect(repair.code).toBe(2);
    expect(repair.err).toMatch(/backupPath ".*taken\.bak" already exists/);
    expect(fileState(db)).toBe(before);
  });
});
