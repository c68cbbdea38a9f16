import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';

/**
 * Ways to make a file or directory read-only that hold even for root, who ignores
 * permission bits: `chattr +i` (immutable: no write, no new file inside, no delete) and a
 * read-only bind mount. Each returns an undo, or a reason when it cannot be produced here —
 * the caller fails the test with it rather than passing without the fault.
 */
export type Undo = () => void;

/** Makes `path` (file or directory) unwritable for everyone, root included. */
export function makeUnwritable(path: string): Undo | Readonly<{ cannot: string }> {
  if (process.getuid?.() !== 0) {
    chmodSync(path, 0o555);
    return () => chmodSync(path, 0o755);
  }
  try {
    execFileSync('chattr', ['+i', path], { stdio: 'pipe' });
  } catch (error) {
    return {
      cannot: `running as root, where chmod does not stop writes, and chattr +i failed: ${(error as Error).message}`,
    };
  }
  return () => execFileSync('chattr', ['-i', path], { stdio: 'pipe' });
}

/** Remounts directory `dir` onto itself read-only (root only). */
export function readOnlyBindMount(dir: string): Undo | Readonly<{ cannot: string }> {
  if (process.getuid?.() !== 0) {
    return {
      cannot: `a read-only bind mount needs root; this process runs as uid ${process.getuid?.()}`,
    };
  }
  try {
    execFileSync('mount', ['--bind', dir, dir], { stdio: 'pipe' });
    execFileSync('mount', ['-o', 'remount,bind,ro', dir], { stdio: 'pipe' });
  } catch (error) {
    return { cannot: `mount --bind / remount,ro failed: ${(error as Error).message}` };
  }
  return () => execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
}

/** Applies a fault or fails loudly with the reason it cannot be produced here. */
export function orFail(result: Undo | Readonly<{ cannot: string }>): Undo {
  if (typeof result === 'function') return result;
  throw new Error(`this test needs a fault it cannot produce here: ${result.cannot}`);
}
