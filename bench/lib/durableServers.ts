import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { DURABLE_SETTINGS, PG_URL, REDIS_URL, type Server } from '../subjects/durableSettings.js';

/** Whether a server answered, and what it is (version, durability settings) or why not. */
export type ServerStatus =
  | Readonly<{ ok: true; description: string }>
  | Readonly<{ ok: false; reason: string }>;

const message = (error: unknown): string =>
  error instanceof Error ? error.message || error.name : String(error);

/** The address without credentials, for messages. */
const where = (url: string): string => {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port}${parsed.pathname}`;
};

async function checkPostgres(): Promise<ServerStatus> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const show = async (name: string): Promise<string> =>
      String((await client.query(`SHOW ${name}`)).rows[0]?.[name]);
    const version = await show('server_version');
    return {
      ok: true,
      description: `PostgreSQL ${version} at ${where(PG_URL)} (fsync=${await show('fsync')}, synchronous_commit=${await show('synchronous_commit')})`,
    };
  } catch (error) {
    return { ok: false, reason: `PostgreSQL at ${where(PG_URL)} not reachable: ${message(error)}` };
  } finally {
    await client.end().catch(() => {});
  }
}

async function pingRedis(): Promise<ServerStatus> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const info = await redis.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    const [, appendonly] = (await redis.config('GET', 'appendonly')) as string[];
    const [, appendfsync] = (await redis.config('GET', 'appendfsync')) as string[];
    const [, save] = (await redis.config('GET', 'save')) as string[];
    return {
      ok: true,
      description: `Redis ${version} at ${where(REDIS_URL)} (appendonly=${appendonly}, appendfsync=${appendfsync}, save="${save}")`,
    };
  } catch (error) {
    return { ok: false, reason: `Redis at ${where(REDIS_URL)} not reachable: ${message(error)}` };
  } finally {
    redis.disconnect();
  }
}

/** Pings Redis; when it does not answer on this machine, starts `redis-server --daemonize yes`. */
async function checkRedis(): Promise<ServerStatus> {
  const first = await pingRedis();
  if (first.ok || !['127.0.0.1', 'localhost'].includes(new URL(REDIS_URL).hostname)) return first;
  try {
    execFileSync('redis-server', ['--daemonize', 'yes'], { stdio: 'ignore', timeout: 10_000 });
  } catch (error) {
    return {
      ok: false,
      reason: `${first.reason}; starting it with redis-server --daemonize yes failed: ${message(error)}`,
    };
  }
  let status: ServerStatus = first;
  for (let i = 0; i < 30 && !status.ok; i++) {
    await sleep(100);
    status = await pingRedis();
  }
  return status.ok
    ? { ok: true, description: `${status.description}, started by the bench` }
    : { ok: false, reason: `${status.reason} (after redis-server --daemonize yes)` };
}

/** Checks each server the planned subjects need, once, before the run. */
export async function checkServers(
  needed: ReadonlySet<Server>,
): Promise<Map<Server, ServerStatus>> {
  const statuses = new Map<Server, ServerStatus>();
  if (needed.has('postgres')) statuses.set('postgres', await checkPostgres());
  if (needed.has('redis')) statuses.set('redis', await checkRedis());
  return statuses;
}

/**
 * The subjects that cannot run because their server did not answer, each with the reason
 * (a server that was not checked counts as not answering).
 */
export function unavailableSubjects(
  subjects: readonly string[],
  statuses: ReadonlyMap<Server, ServerStatus>,
): Map<string, string> {
  const unavailable = new Map<string, string>();
  for (const subject of subjects) {
    const server = DURABLE_SETTINGS[subject]?.server;
    if (server === undefined) continue;
    const status = statuses.get(server);
    if (status === undefined) unavailable.set(subject, `${server} was not checked`);
    else if (!status.ok) unavailable.set(subject, status.reason);
  }
  return unavailable;
}
