import { PlanflowError, StorageError } from '../domain/errors.js';

/** Where a PostgreSQL fault happened: shown in the message and kept on the error. */
export type PgSite = Readonly<{
  /** The component the caller called, e.g. `postgresStore`. */
  component: string;
  /** The log as messages name it: `schema "planflow" at host:port/database` (no password). */
  where: string;
  /** What was being done, e.g. `append to`, `open`, `read`. */
  operation: string;
}>;

/** Node's socket errors: the server cannot be reached or went away. */
const SOCKET_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** What node-postgres says when the socket closed under a client (no code of its own). */
const LOST_CONNECTION =
  /Connection terminated|connection error and is not queryable|Client was closed|not queryable|timeout exceeded when trying to connect|Connection terminated due to connection timeout/i;

type Mapped = Readonly<{ code: StorageError['code']; transient: boolean; why: string }>;

/** SQLSTATE classes and codes (see PostgreSQL's "Appendix A. Error Codes") PlanFlow names. */
function fromSqlState(state: string): Mapped | undefined {
  const lost = 'the connection to PostgreSQL was lost or refused';
  if (state.startsWith('08') || state === '57P01' || state === '57P02' || state === '57P03') {
    return {
      code: 'planflow:storage-unavailable',
      transient: true,
      why: `${lost} (server shut down, restarted, or the backend was terminated); nothing of this operation was committed unless it was acknowledged — retry once the server is back`,
    };
  }
  if (state === '53300') {
    return {
      code: 'planflow:storage-unavailable',
      transient: true,
      why: 'the server has no free connection slot (too_many_connections); retry later, or lower maxConnections / raise max_connections',
    };
  }
  if (state === '53100') {
    return {
      code: 'planflow:storage-full',
      transient: true,
      why: "the server's disk is full; nothing of this operation was stored — free some space and retry",
    };
  }
  if (state === '58030' || state === '53200' || state === 'XX001' || state === 'XX002') {
    return {
      code: 'planflow:storage-io',
      transient: true,
      why: 'the server reported an I/O, memory or data-corruption error; retry, and if it persists check the server and run planflow verify',
    };
  }
  if (state === '25006') {
    return {
      code: 'planflow:storage-read-only',
      transient: true,
      why: 'the server is read-only (a standby, or default_transaction_read_only); point the connection string at the primary — after a failover, retrying may succeed',
    };
  }
  if (state === '42501') {
    return {
      code: 'planflow:storage-read-only',
      transient: false,
      why: "the database user lacks a privilege on the log's schema or tables; grant it (CREATE on the database to create the schema, then ownership or INSERT/SELECT/UPDATE on its tables)",
    };
  }
  if (state === '28000' || state === '28P01' || state === '3D000') {
    return {
      code: 'planflow:storage-unavailable',
      transient: false,
      why: 'the server refused the login or the database does not exist; check the user, password and database name in the connection string',
    };
  }
  if (state === '40001' || state === '40P01' || state === '55P03' || state === '57014') {
    return {
      code: 'planflow:storage-busy',
      transient: true,
      why: 'the server cancelled the statement (lock timeout, deadlock, serialization failure or statement_timeout); retry',
    };
  }
  return undefined;
}

/**
 * The one mapping from node-postgres errors to PlanFlow errors: a lost or refused connection
 * (socket errors, SQLSTATE class 08, 57P01–57P03, node-postgres's "Connection terminated")
 * becomes `storage-unavailable` with `transient: true`, so a scheduler treats it like any
 * failed write (degraded, retried with backoff, resumed); a full disk, I/O, read-only
 * server, missing privilege, refused login and cancelled statement get their own codes.
 * Anything else (a PlanflowError, a constraint the caller handles, a bug) is returned as is.
 */
export function pgFault(error: unknown, site: PgSite): unknown {
  if (error instanceof PlanflowError || !(error instanceof Error)) return error;
  const at = `${site.component}: cannot ${site.operation} ${site.where}`;
  const code = (error as { code?: unknown }).code;
  let mapped: Mapped | undefined;
  if (typeof code === 'string' && SOCKET_ERRNO.has(code)) {
    mapped = {
      code: 'planflow:storage-unavailable',
      transient: true,
      why: 'PostgreSQL cannot be reached; check that the server runs and the host and port in the connection string — retrying once it is reachable may succeed',
    };
  } else if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    mapped = fromSqlState(code);
  } else if (LOST_CONNECTION.test(error.message)) {
    mapped = {
      code: 'planflow:storage-unavailable',
      transient: true,
      why: 'the connection to PostgreSQL was lost; nothing of this operation was committed unless it was acknowledged — retry once the server is back',
    };
  }
  if (mapped === undefined) return error;
  const detail = typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  return new StorageError(mapped.code, `${at}: ${mapped.why} (${detail})`, {
    path: site.where,
    cause: error,
    transient: mapped.transient,
  });
}

/** Runs `work`, turning a driver error into the PlanFlow error {@link pgFault} gives. */
export async function pgGuarded<T>(site: PgSite, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw pgFault(error, site);
  }
}
