import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { fileState, planflow, readLog, useProjectDirs } from '../helpers/cliHarness.js';
import { makeUnwritable, orFail } from '../helpers/readOnlyFiles.js';

/** Changes one stored payload behind the store's back, as tampering or bit rot would. */
function tamper(path: string, seq: number): void {
  const db = new Database(path);
  try {
    db.prepare(`UPDATE events SET data = json_set(data, '$.forged', 1) WHERE seq = ?`).run(seq);
  } finally {
    db.close();
  }
}

/** Moves the file's verified mark back to entry #`seq`, as if nothing after it was checked. */
function unverifiedAfter(path: string, seq: number): void {
  const db = new Database(path);
  try {
    const hash = db.prepare('SELECT hash FROM events WHERE seq = ?').pluck().get(seq);
    db.prepare("UPDATE log_state SET value = ? WHERE key = 'verified'").run(
      JSON.stringify({ seq, hash }),
    );
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

    const verify = await planflow(dir, ['verify', '--full']);
    expect(verify.code).toBe(1);
    expect(verify.out).toContain('broken at entry #3: entry #3 was changed after it was written');
    expect(verify.out).toContain('Entries 1..2 verify');
    const json = JSON.parse((await planflow(dir, ['verify', '--full', '--json'])).out);
    expect(json).toMatchObject({ ok: false, firstBadSeq: 3, entries: 2 });
    expect(fileState(db)).toBe(before);
    expect(entries).toBeGreaterThan(3);
  });

  it('refuses to read or write a corrupt log (exit 1) and points at verify and repair', async () => {
    const dir = await projectWithTasks();
    const db = join(dir, 'planflow.db');
    tamper(db, 2);
    // Commands check what follows the verified mark: here the entries after #1 count as not
    // verified yet (written by a tool, say). A change before the mark is for verify --full.
    unverifiedAfter(db, 1);
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
    unverifiedAfter(db, 1);
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

  describe('finding 9: read-only commands never create or convert a file', () => {
    const readOnlyCommands = [['verify'], ['history'], ['export'], ['task', 'list']];

    it('refuses a zero-byte file (exit 1) and leaves it zero bytes, with no side files', async () => {
      const dir = newDir();
      const db = join(dir, 'planflow.db');
      writeFileSync(db, '');
      for (const args of [...readOnlyCommands, ['repair']]) {
        const result = await planflow(dir, args);
        expect(result.code).toBe(1);
        expect(result.err).toContain(`"${db}" is an empty file`);
        expect(readFileSync(db).length).toBe(0);
        expect(readdirSync(dir)).toEqual(['planflow.db']);
      }
    });

    it('refuses a foreign SQLite file with exit 1, as docs/cli.md says, and leaves it unchanged', async () => {
      const dir = newDir();
      const db = join(dir, 'planflow.db');
      const foreign = new Database(db);
      foreign.exec('CREATE TABLE users (id INTEGER)');
      foreign.close();
      const before = fileState(db);
      for (const args of [...readOnlyCommands, ['task', 'add', 'X', '--at', 'now'], ['repair']]) {
        const result = await planflow(dir, args);
        expect(result.code).toBe(1);
        expect(result.err).toMatch(
          /is not a PlanFlow log: it is an SQLite file of another application/,
        );
      }
      expect(fileState(db)).toBe(before);
      expect(readdirSync(dir)).toEqual(['planflow.db']);
    });

    it('reads a log that cannot be written, and a write to it fails with exit 1 naming the path', async () => {
      const dir = await projectWithTasks();
      const db = join(dir, 'planflow.db');
      const before = readFileSync(db).toString('base64');
      expect(existsSync(`${db}-wal`)).toBe(false);
      const undo = orFail(makeUnwritable(db));
      try {
        for (const args of readOnlyCommands) {
          const result = await planflow(dir, args);
          expect({ args, code: result.code, err: result.err }).toEqual({ args, code: 0, err: '' });
        }
        const add = await planflow(dir, ['task', 'add', 'X', '--at', 'now']);
        expect(add.code).toBe(1);
        expect(add.err).toContain(
          `cannot append to "${db}": the file or its directory is read-only`,
        );
      } finally {
        undo();
      }
      // SQLite leaves its (empty) WAL and shared-memory index beside a log it could not
      // write; they hold no entry and the next writer removes them.
      expect(existsSync(`${db}-wal`) ? readFileSync(`${db}-wal`).length : 0).toBe(0);
      expect(readFileSync(db).toString('base64')).toBe(before);
      expect(readdirSync(dir).filter((name) => !/-(wal|shm)$/.test(name))).toEqual(['planflow.db']);
    });
  });

  describe('finding 3 and 5: verify and repair on a damaged SQLite file', () => {
    it('verify reports a dropped trigger index (exit 1), repair rebuilds the file, verify is clean', async () => {
      const dir = await projectWithTasks();
      const db = join(dir, 'planflow.db');
      const entries = (await readLog(db)).length;
      const raw = new Database(db);
      raw.exec('DROP INDEX events_one_trigger_per_stream');
      raw.close();
      const before = fileState(db);

      const verify = await planflow(dir, ['verify']);
      expect(verify.code).toBe(1);
      expect(verify.out).toMatch(/damaged: index events_one_trigger_per_stream .* is missing/);
      expect(verify.out).toContain(
        `All ${entries} entries verify, but the file's guarantees are off`,
      );
      expect(verify.out).toContain(`planflow repair --db ${db}`);
      expect(JSON.parse((await planflow(dir, ['verify', '--json'])).out)).toMatchObject({
        ok: false,
        entries,
        storageProblems: [expect.stringMatching(/is missing/)],
      });
      expect(fileState(db)).toBe(before);
      const list = await planflow(dir, ['task', 'list']);
      expect(list.code).toBe(1);
      expect(list.err).toMatch(/damaged schema, so its guarantees are off/);

      const repair = await planflow(dir, ['repair', '--backup', 'before.bak']);
      expect(repair.code).toBe(0);
      expect(repair.out).toContain(
        `Repaired (rebuilt the file from the valid entries): kept ${entries} entries, removed 0`,
      );
      expect((await planflow(dir, ['verify'])).code).toBe(0);
      expect((await planflow(dir, ['task', 'list'])).code).toBe(0);
      expect(existsSync(join(dir, 'before.bak'))).toBe(true);
    });
  });
});
