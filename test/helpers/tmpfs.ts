import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A mounted tmpfs of a fixed size: a real file system that really runs out of space. */
export type Tmpfs = Readonly<{
  /** The mount point; write files under it. */
  path: string;
  /** Unmounts it and removes the mount point (safe to call twice). */
  unmount(): void;
}>;

/**
 * Mounts a tmpfs of `bytes` bytes and returns its path and an unmount, or — when this
 * process cannot mount (not root, no mount binary, a container without the right) — a
 * `skip` reason to print. Used for disk-full tests: a write past `bytes` fails with ENOSPC
 * exactly as on a full disk.
 *
 * @example
 * const disk = mountTmpfs(1 << 20);
 * if ('skip' in disk) console.warn(disk.skip); else try { ... } finally { disk.unmount(); }
 */
export function mountTmpfs(bytes: number): Tmpfs | Readonly<{ skip: string }> {
  if (process.getuid?.() !== 0) {
    return {
      skip: `mounting a ${bytes}-byte tmpfs needs root; this process runs as uid ${process.getuid?.()}`,
    };
  }
  const base = mkdtempSync(join(tmpdir(), 'planflow-tmpfs-'));
  const path = join(base, 'disk');
  mkdirSync(path);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', path], {
      stdio: 'pipe',
    });
  } catch (error) {
    rmSync(base, { recursive: true, force: true });
    return { skip: `mount -t tmpfs failed: ${String((error as Error).message).trim()}` };
  }
  let mounted = true;
  return {
    path,
    unmount() {
      if (!mounted) return;
      mounted = false;
      // Lazy: a connection a failing test left open must not keep the mount alive.
      execFileSync('umount', ['-l', path], { stdio: 'pipe' });
      rmSync(base, { recursive: true, force: true });
    },
  };
}
