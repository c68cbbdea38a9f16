import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DependencyError, isPlanflowError } from '../../src/domain/errors.js';
import { loadBetterSqlite3, loadDriver } from '../../src/sqlite/loadBetterSqlite3.js';

// Real loads through Node's resolver, from a scratch folder with its own node_modules: a
// package that is not there, one whose module throws as a broken native binding does, and
// one that loads. (.ci/packed-install.sh checks the same without better-sqlite3 at all, on
// the packed tarball.)
describe('loadDriver', () => {
  let dir: string;
  let from: URL;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'planflow-driver-'));
    const broken = join(dir, 'node_modules', 'broken-driver');
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, 'package.json'), '{"name":"broken-driver","main":"index.js"}');
    writeFileSync(
      join(broken, 'index.js'),
      "throw new Error('was compiled against a different Node.js version');",
    );
    const working = join(dir, 'node_modules', 'working-driver');
    mkdirSync(working, { recursive: true });
    writeFileSync(join(working, 'package.json'), '{"name":"working-driver","main":"index.js"}');
    writeFileSync(join(working, 'index.js'), 'module.exports = function Driver() {};');
    from = pathToFileURL(join(dir, 'app.js'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('when the package is not installed', () => {
    it('throws a DependencyError naming the install command', () => {
      let caught: unknown;
      try {
        loadDriver('better-sqlite3', from);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(DependencyError);
      expect(isPlanflowError(caught, 'planflow:missing-dependency')).toBe(true);
      const error = caught as DependencyError;
      expect(error.dependency).toBe('better-sqlite3');
      expect(error.message).toMatch(/^planflow\/sqlite: .*not installed/);
      expect(error.message).toContain('npm install better-sqlite3@12');
      expect((error.cause as { code?: string }).code).toBe('MODULE_NOT_FOUND');
    });
  });

  describe('when the package is installed but its module throws', () => {
    it('throws a DependencyError that keeps the cause and says how to rebuild', () => {
      expect(() => loadDriver('broken-driver', from)).toThrow(
        expect.objectContaining({
          code: 'planflow:missing-dependency',
          message: expect.stringMatching(
            /"broken-driver" is installed but failed to load \(was compiled against a different Node\.js version\).*npm install better-sqlite3@12.*npm rebuild better-sqlite3/,
          ),
          cause: expect.objectContaining({ message: expect.stringContaining('compiled against') }),
        }),
      );
    });
  });

  describe('when the package loads', () => {
    it('returns its module', () => {
      expect(typeof loadDriver('working-driver', from)).toBe('function');
    });
  });
});

describe('loadBetterSqlite3', () => {
  it('loads the installed better-sqlite3 once', () => {
    expect(loadBetterSqlite3()).toBe(Database);
    expect(loadBetterSqlite3()).toBe(loadBetterSqlite3());
  });
});
