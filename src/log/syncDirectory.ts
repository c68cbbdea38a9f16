import { closeSync, fsyncSync, openSync } from 'node:fs';

/**
 * Flushes a directory, so a file renamed into it stays renamed after a power cut. Not every
 * file system lets a directory be synced; the rename itself is atomic either way.
 */
export function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Nothing more can be done; the rename already happened.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
