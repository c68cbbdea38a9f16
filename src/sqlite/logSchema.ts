import type Database from 'better-sqlite3';
import { CorruptLogError } from '../domain/errors.js';
import { loadBetterSqlite3 } from './loadBetterSqlite3.js';
import { logMigrations, type Migration } from './migrations.js';

/** One schema object as `sqlite_schema` lists it. */
type SchemaObject = Readonly<{ type: string; name: string; sql: string | null }>;

/** Why an object matters, for messages that tell an operator what a damage switches off. */
const ROLE: Readonly<Record<string, string>> = {
  events: 'the table holding the entries',
  events_one_trigger_per_stream:
    'the unique index that keeps an occurrence from triggering twice (at-most-once)',
};

const LIST_OBJECTS =
  "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";

const expectedCache = new WeakMap<readonly Migration[], readonly SchemaObject[]>();

/**
 * The schema objects a log at the newest version of `migrations` has, read from a scratch
 * in-memory database the migrations just built. Deriving it from the migrations themselves
 * keeps this check and the schema from drifting apart.
 */
function expectedObjects(migrations: readonly Migration[]): readonly SchemaObject[] {
  const cached = expectedCache.get(migrations);
  if (cached !== undefined) return cached;
  const scratch = new (loadBetterSqlite3())(':memory:');
  try {
    for (const migration of migrations) migration.up(scratch);
    const objects = Object.freeze(scratch.prepare<[], SchemaObject>(LIST_OBJECTS).all());
    expectedCache.set(migrations, objects);
    return objects;
  } finally {
    scratch.close();
  }
}

const describe = (object: SchemaObject): string =>
  `${object.type} ${object.name}${ROLE[object.name] === undefined ? '' : ` (${ROLE[object.name]})`}`;

/**
 * What is off in the file's schema compared with what the migrations build: a missing or
 * changed table, index or trigger, or an extra one. An extra trigger could change what an
 * append stores and an extra unique index could refuse appends, so the schema must be
 * exactly the known one. Empty when the schema is intact.
 */
export function schemaProblems(
  db: Database.Database,
  migrations: readonly Migration[] = logMigrations,
): string[] {
  const expected = expectedObjects(migrations);
  const actual = new Map(
    db
      .prepare<[], SchemaObject>(LIST_OBJECTS)
      .all()
      .map((object) => [object.name, object]),
  );
  const problems: string[] = [];
  for (const object of expected) {
    const found = actual.get(object.name);
    actual.delete(object.name);
    if (found === undefined) problems.push(`${describe(object)} is missing`);
    else if (found.type !== object.type || found.sql !== object.sql) {
      problems.push(`${describe(object)} was changed: expected ${object.sql}, found ${found.sql}`);
    }
  }
  for (const extra of actual.values()) {
    problems.push(`${extra.type} ${extra.name} is not part of a PlanFlow log (${extra.sql})`);
  }
  return problems;
}

/** Refuses a log whose schema is off, naming every problem and the way out. */
export function schemaError(component: string, path: string, problems: readonly string[]) {
  return new CorruptLogError(
    1,
    `${component}: the log at "${path}" has a damaged schema, so its guarantees are off: ${problems.join('; ')}. Nothing was changed; run repairLog("${path}") (planflow repair) to rebuild the file with the right schema from every valid entry, keeping the original as a backup`,
    { damage: 'schema', path },
  );
}
