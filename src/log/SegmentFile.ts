import { once } from 'node:events';
import {
  closeSync,
  createWriteStream,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import type { ArchiveStep } from './ArchivingStore.js';
import type { SegmentHeader } from './segmentFormat.js';
import { syncDirectory } from './syncDirectory.js';

/** Bytes copied per read when the header and the compressed entries are joined. */
const COPY_CHUNK = 1 << 20;

/**
 * A segment file being written, crash-safe: the entry lines are compressed into a hidden
 * temporary file as they come; `seal` writes a second hidden file holding the header's gzip
 * member followed by those compressed entries, flushes it, renames it to its final name and
 * flushes the directory. A crash before the rename leaves only hidden `.tmp` files (the next
 * run removes them); after it, a whole segment.
 */
export class SegmentFile {
  readonly dir: string;
  readonly name: string;
  readonly #body: string;
  readonly #temporary: string;
  readonly #gzip = createGzip({ chunkSize: 1 << 20 });
  readonly #written: Promise<void>;

  constructor(dir: string, name: string) {
    this.dir = dir;
    this.name = name;
    mkdirSync(dir, { recursive: true });
    this.#body = join(dir, `.${name}.body.tmp`);
    this.#temporary = join(dir, `.${name}.tmp`);
    this.#written = pipeline(this.#gzip, createWriteStream(this.#body, { mode: 0o644 }));
    // Rejections surface through write() and seal(); this keeps one from going unhandled.
    this.#written.catch(() => {});
  }

  /** The hidden files of a run on the segment `name`, as a crash may leave them. */
  static temporaryNames(name: string): readonly string[] {
    return [`.${name}.body.tmp`, `.${name}.tmp`];
  }

  /** Adds text to the compressed entries, waiting while the compressor is behind. */
  async write(text: string): Promise<void> {
    if (!this.#gzip.write(text)) await once(this.#gzip, 'drain');
  }

  /** Writes the header ahead of the entries and gives the file its name, durably. */
  async seal(
    header: SegmentHeader,
    onStep: (step: ArchiveStep) => void,
  ): Promise<{ path: string; bytes: number }> {
    this.#gzip.end();
    await this.#written;
    const fd = openSync(this.#temporary, 'w', 0o644);
    let bytes: number;
    try {
      writeSync(fd, gzipSync(`${JSON.stringify(header)}\n`));
      const body = openSync(this.#body, 'r');
      try {
        const buffer = Buffer.allocUnsafe(COPY_CHUNK);
        for (let n = readSync(body, buffer); n > 0; n = readSync(body, buffer)) {
          writeSync(fd, buffer, 0, n);
        }
      } finally {
        closeSync(body);
      }
      fsyncSync(fd);
      bytes = fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
    rmSync(this.#body, { force: true });
    onStep('segment-written');
    const path = join(this.dir, this.name);
    renameSync(this.#temporary, path);
    syncDirectory(this.dir);
    onStep('segment-sealed');
    return { path, bytes };
  }

  /** Gives up: removes the temporary files (a sealed segment is left alone). */
  async discard(): Promise<void> {
    this.#gzip.destroy();
    await this.#written.catch(() => {});
    for (const file of [this.#body, this.#temporary]) rmSync(file, { force: true });
  }
}
