import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh directory for one child's database files, removed when the child is done. Every
 * subject writes to the same file system, so fsync costs compare like with like.
 */
export function scratchDir(): Readonly<{ file(name: string): string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'planflow-bench-'));
  return {
    file: (name) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
