import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CorruptLogError, isPlanflowError } from '../../src/domain/errors.js';
import { repairLog } from '../../src/sqlite/repair.js';
import { sqliteStore } from '../../src/sqlite/sqliteStore.js';
import {
  clock,
  logWith,
  raw,
  rejection,
  started,
  useTempLogPaths,
} from '../helpers/sqliteFixtures.js';

const newPath = useTempLogPaths();

describe('sqliteStore', () => {
  describe('corruption', () => {
    const openError = async (path: string): Promise<CorruptLogError> => {
      const error = await rejection(sqliteStore({ path, clock, verifyOnOpen: 'full' }));
      expect(error).toBeInstanceOf(CorruptLogError);
      return error as CorruptLogError;
    };

    it('detects a changed byte in a payload at its position', async () => {
      const path = await logWith(newPath(), 5);
      raw(path, "UPDATE events SET data = replace(data, 'i3', 'i8') WHERE seq = 3");
      const error = await openError(path);
      expect(error.position).toBe(3);
      expect(error.message).toMatch(/entry #3.*repairLog/);
    });

    it('detects a torn last entry', async () => {
      const path = await logWith(newPath(), 5);
      raw(path, "UPDATE events SET hash = '' WHERE seq = 5");
      expect((await openError(path)).position).toBe(5);
    });

    it('detects a removed middle entry and changes nothing', async () => {
      const path = await logWith(newPath(), 5);
      raw(path, 'DELETE FROM events WHERE seq = 2');
      expect((await openError(path)).position).toBe(2);
      const db = new Database(path);
      expect(db.prepare('SELECT seq FROM events').pluck().all()).toEqual([1, 3, 4, 5]);
      db.close();
    });

    it('opens without checking when asked, and verify() reports the damage', async () => {
      const path = await logWith(newPath(), 4);
      raw(path, "UPDATE events SET type = 'scheduler.stopped' WHERE seq = 4");
      const store = await sqliteStore({ path, clock, verifyOnOpen: false });
      expect(await store.verify({ full: true })).toMatchObject({
        ok: false,
        entries: 3,
        firstBadSeq: 4,
      });
      // By default verify walks only what follows the verified mark: this edit lies before it.
      expect(await store.verify()).toMatchObject({ ok: true });
      await store.close();
    });
  });

  describe('repairLog', () => {
    it('backs the file up, keeps the entries before the damage, and the result verifies', async () => {
      const path = await logWith(newPath(), 6);
      raw(path, 'DELETE FROM events WHERE seq = 4');
      const result = await repairLog(path, { clock });
      expect(result).toEqual({
        backupPath: `${path}.bak-20260302T080000000Z`,
        method: 'truncate',
        keptEntries: 3,
        removedEntries: 2,
        problems: ['entry #4: expected entry #4, found #5 (entries missing or reordered)'],
      });
      const backup = new Database(result.backupPath, { readonly: true });
      expect(backup.prepare('SELECT seq FROM events').pluck().all()).toEqual([1, 2, 3, 5, 6]);
      backup.close();
      const store = await sqliteStore({ path, clock });
      expect(await store.verify()).toMatchObject({ ok: true, entries: 3 });
      expect((await store.append([started('again')]))[0]!.seq).toBe(4);
      await store.close();
    });

    it('removes nothing from a log that verifies, but still writes the backup first', async () => {
      const path = await logWith(newPath(), 3);
      const result = await repairLog(path, { clock });
      expect(result).toMatchObject({ method: 'none', keptEntries: 3, removedEntries: 0 });
      expect(existsSync(result.backupPath)).toBe(true);
      const second = await repairLog(path, { clock });
      expect(second.backupPath).toBe(`${result.backupPath}-2`);
    });

    it('refuses a missing log and an existing backup path', async () => {
      const error = await rejection(repairLog(join(tmpdir(), 'planflow-no-such-log.db')));
      expect(isPlanflowError(error, 'planflow:invalid-options')).toBe(true);
      const path = await logWith(newPath(), 1);
      const taken = await rejection(repairLog(path, { backupPath: path }));
      expect(isPlanflowError(taken, 'planflow:invalid-options')).toBe(true);
    });
  });
});
