import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inputError } from './exitCodes.js';

/**
 * The segment files an `--archive` flag names: each path a segment file, or a directory
 * whose `*.jsonl.gz` files are all taken (an archive run's `--out`, default `<db>.archive`).
 * @throws ValidationError (exit 2) for a path that does not exist or a directory with none.
 */
export function archiveFiles(given: readonly string[], cwd: string): string[] {
  const files: string[] = [];
  for (const path of given.map((p) => resolve(cwd, p))) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      throw inputError(
        '--archive',
        `--archive: "${path}" does not exist; give segment files or the directory holding them`,
      );
    }
    if (!isDirectory) {
      files.push(path);
      continue;
    }
    const found = readdirSync(path)
      .filter((name) => name.endsWith('.jsonl.gz') && !name.startsWith('.'))
      .sort()
      .map((name) => join(path, name));
    if (found.length === 0) {
      throw inputError(
        '--archive',
        `--archive: the directory "${path}" holds no segment (*.jsonl.gz)`,
      );
    }
    files.push(...found);
  }
  return files;
}
