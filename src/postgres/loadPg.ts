import type Pg from 'pg';
import { type PeerDriver, requirePeerDriver } from '../log/requirePeerDriver.js';

/** The `pg` module (node-postgres): `Pool`, `Client`, `types`, `DatabaseError`. */
export type PgModule = typeof Pg;

const PG: PeerDriver = {
  packageName: 'pg',
  install: 'npm install pg@8',
  neededBy: 'planflow/postgres: the PostgreSQL store needs pg 8 (node-postgres)',
  entryPoint: 'planflow/postgres',
};

/**
 * Loads the driver `specifier` as seen from the module at `from` (see `requirePeerDriver`):
 * `pg` is an optional peer dependency, SQLite and memory users never need it.
 * @throws DependencyError when the package cannot be found or its module throws on load.
 */
export function loadPgDriver(specifier: string, from: string | URL): PgModule {
  return requirePeerDriver<PgModule>(PG, specifier, from);
}

let driver: PgModule | undefined;

/**
 * node-postgres, loaded on first call and cached. The only way PlanFlow loads it.
 * @throws DependencyError when it is not installed or does not load.
 */
export function loadPg(): PgModule {
  driver ??= loadPgDriver(PG.packageName, import.meta.url);
  return driver;
}
