import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { CorruptLogError, PlanflowError, StorageError } from '../domain/errors.js';
import { loadBetterSqlite3 } from './loadBetterSqlite3.js';

/** Where a storage fault happened: shown in the message and kept on the error. */
export type FaultSite = Readonly<{
  /** The component the caller called, e.g. `sqliteStore`. */
  component: string;
  /** The log file. */
  path: string;
  /** What was being done, e.g. `append to`, `open`, `read`. */
  operation: string;
}>;

const SIDE_FILES = 'SQLite also creates "-wal" and "-shm" files beside it';

/** The first writable-looking problem along `path`, for messages about CANTOPEN / EACCES. */
function whyCannotOpen(path: string): Readonly<{ code: StorageError['code']; why: string }> {
  const dir = dirname(path);
  if (!existsSync(dir)) {
    return {
      code: 'planflow:storage-unavailable',
      why: `its directory "${dir}" does not exist; create it or choose another path`,
    };
  }
  if (existsSync(path) && statSync(path).isDirectory()) {
    return { code: 'planflow:not-a-log', why: 'it is a directory; pass the path of a log file' };
  }
  let dirWritable = true;
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    dirWritable = false;
  }
  if (!existsSync(path)) {
    return {
      code: 'planflow:storage-unavailable',
      why: dirWritable
        ? 'there is no file there; create the log first (planflow init, or open it without readOnly)'
        : `there is no file there, and its directory "${dir}" is read-only so none can be created`,
    };
  }
  if (!dirWritable) {
    return {
      code: 'planflow:storage-read-only',
      why: `its directory "${dir}" is read-only and ${SIDE_FILES}; make the directory writable or copy the log to a writable one`,
    };
  }
  return {
    code: 'planflow:storage-unavailable',
    why: 'the operating system refused to open it; check its permissions and that it is a regular file',
  };
}

function fromSqliteCode(code: string, site: FaultSite, error: Error): PlanflowError | undefined {
  const at = `${site.component}: cannot ${site.operation} "${site.path}"`;
  const detail = `(${code}: ${error.message})`;
  const options = { path: site.path, cause: error };
  if (code.startsWith('SQLITE_READONLY')) {
    return new StorageError(
      'planflow:storage-read-only',
      `${at}: the file or its directory is read-only ${detail}; make both writable (${SIDE_FILES}), or open the log with readOnly: true to only read it`,
      options,
    );
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    const { code: storageCode, why } = whyCannotOpen(site.path);
    return new StorageError(storageCode, `${at}: ${why} ${detail}`, options);
  }
  if (code === 'SQLITE_FULL') {
    return new StorageError(
      'planflow:storage-full',
      `${at}: the disk or file system is full ${detail}; nothing of this operation was stored — free some space and retry`,
      options,
    );
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new StorageError(
      'planflow:storage-io',
      `${at}: the operating system reported an I/O error ${detail}; nothing of this operation was stored — retry, and if it persists check the disk and run planflow verify`,
      options,
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StorageError(
      'planflow:storage-busy',
      `${at}: another connection holds the file's lock ${detail}; retry once it is done (another process writing or repairing this log?)`,
      options,
    );
  }
  if (code === 'SQLITE_NOTADB') {
    return new CorruptLogError(
      1,
      `${at}: it is not an SQLite database, or its header is destroyed ${detail}; nothing in it can be read — restore it from a backup, or point the path at a new file`,
      { damage: 'file', path: site.path, cause: error },
    );
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new CorruptLogError(
      1,
      `${at}: SQLite reports the file damaged ${detail}; no entry can be trusted until it is repaired — run repairLog("${site.path}") (planflow repair) to copy every readable, valid entry into a fresh file and keep the original as a backup, or restore it from a backup`,
      { damage: 'file', path: site.path, cause: error },
    );
  }
  return undefined;
}

/** Node's errno codes for the same situations, for the file work repair does itself. */
const ERRNO: Readonly<Record<string, StorageError['code']>> = {
  EROFS: 'planflow:storage-read-only',
  EACCES: 'planflow:storage-read-only',
  EPERM: 'planflow:storage-read-only',
  ENOENT: 'planflow:storage-unavailable',
  ENOTDIR: 'planflow:storage-unavailable',
  ENOSPC: 'planflow:storage-full',
  EDQUOT: 'planflow:storage-full',
  EIO: 'planflow:storage-io',
  EBUSY: 'planflow:storage-busy',
};

/**
 * The one mapping from driver and file-system errors to PlanFlow errors: SQLite result
 * codes (`SQLITE_READONLY*`, `SQLITE_CANTOPEN*`, `SQLITE_FULL`, `SQLITE_IOERR*`,
 * `SQLITE_BUSY*`, `SQLITE_CORRUPT*`, `SQLITE_NOTADB`), better-sqlite3's `TypeError` for a
 * missing directory, and Node's errno codes become a {@link StorageError} or a
 * {@link CorruptLogError} naming the path, the cause and what to do. Anything else (a
 * PlanflowError, a constraint the caller handles, a bug) is returned unchanged.
 */
export function storageFault(error: unknown, site: FaultSite): unknown {
  if (error instanceof PlanflowError) return error;
  if (error instanceof loadBetterSqlite3().SqliteError) {
    return fromSqliteCode(error.code, site, error) ?? error;
  }
  if (error instanceof TypeError && /directory does not exist/.test(error.message)) {
    const { code, why } = whyCannotOpen(site.path);
    return new StorageError(
      code,
      `${site.component}: cannot ${site.operation} "${site.path}": ${why}`,
      {
        path: site.path,
        cause: error,
      },
    );
  }
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  if (error instanceof Error && typeof errno === 'string' && ERRNO[errno] !== undefined) {
    return new StorageError(
      ERRNO[errno],
      `${site.component}: cannot ${site.operation} "${site.path}": ${error.message}; ${ERRNO[errno] === 'planflow:storage-full' ? 'free some space and retry' : 'check that the path exists and is writable'}`,
      { path: site.path, cause: error },
    );
  }
  return error;
}

/** Runs `work`, turning a driver error into the PlanFlow error {@link storageFault} gives. */
export function guarded<T>(site: FaultSite, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw storageFault(error, site);
  }
}
