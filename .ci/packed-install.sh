#!/usr/bin/env bash
# The packed-install check: does the package install and work as the README says?
#
# Packs the tarball exactly as publishing would (prepack builds), installs it into a fresh
# consumer project in a temporary folder outside the repository — with typescript and
# @types/node but WITHOUT better-sqlite3 — and then, in that project:
#   1. the README's first ```ts block (extracted now, so README and check cannot drift),
#      type-checked with a strict tsconfig and run: it must exit 0 within 30 s;
#   2. require('planflow'), require('planflow/testing'), require('planflow/sqlite') and
#      require('planflow/postgres') from plain CommonJS, and a type-checked .cts file that
#      imports all four;
#   3. planflow/sqlite and the CLI without better-sqlite3: a DependencyError whose message
#      names the install command, and no file created; the same for planflow/postgres and
#      --db postgres:// without pg;
#   4. scheduler.events.pipe(filter(...)) type-checked and run against rxjs 7.5 and rxjs 7.8,
#      each the only copy of rxjs in the project.
# Any failure exits non-zero with what went wrong.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/planflow-packed.XXXXXX")"
trap 'rm -rf "$work"' EXIT
app="$work/app"
started=$SECONDS

passed=0

step() { printf '\n== packed-install [%3d s]: %s\n' "$((SECONDS - started))" "$*"; }
ok() {
  passed=$((passed + 1))
  printf '   ok: %s\n' "$*"
}
fail() {
  printf '\npacked-install: FAILED: %s\n' "$*" >&2
  printf 'packed-install: %d passed, 1 failed\n' "$passed"
  exit 1
}
# expect_output FILE TEXT: FILE (a program's captured output) contains TEXT.
expect_output() {
  grep -qF -- "$2" "$1" || fail "expected \"$2\" in the output above"
  ok "output has \"$2\""
}

case "$work/" in "$repo"/*) fail "the consumer folder $work must be outside the repository" ;; esac

step "npm pack (prepack builds dist/) into $work"
tarball="$work/$(cd "$repo" && npm pack --silent --pack-destination "$work" | tail -n 1)"
[ -f "$tarball" ] || fail "npm pack produced no tarball"
tar -tzf "$tarball" | sort >"$work/contents.txt"
printf '%s: %s files, %s bytes\n' "$(basename "$tarball")" "$(wc -l <"$work/contents.txt")" "$(wc -c <"$tarball")"
for required in package/LICENSE package/README.md package/package.json; do
  grep -qx "$required" "$work/contents.txt" || fail "the tarball has no ${required#package/}"
done
if grep -E '\.map$' "$work/contents.txt"; then fail "the tarball ships source maps (listed above)"; fi
if grep -E '^package/(src|test|examples|bench)/' "$work/contents.txt" | head -n 5; then
  fail "the tarball ships repository folders (listed above)"
fi
ok "tarball: LICENSE, README.md, package.json, dist only, no source maps"

step "fresh consumer project: npm install the tarball, typescript ~5.9, @types/node ~20.19 (no better-sqlite3)"
mkdir -p "$app/src"
cd "$app"
cat >package.json <<'JSON'
{ "name": "planflow-consumer", "version": "1.0.0", "private": true, "type": "module" }
JSON
npm install --no-audit --no-fund --loglevel=error "$tarball" typescript@~5.9 @types/node@~20.19
[ ! -e node_modules/better-sqlite3 ] || fail "better-sqlite3 was installed, but it is an optional peer"
[ ! -e node_modules/pg ] || fail "pg was installed, but it is an optional peer"
[ -f node_modules/rxjs/package.json ] || fail "npm did not install the rxjs peer dependency"
[ ! -e node_modules/planflow/node_modules/rxjs ] || fail "planflow brought its own copy of rxjs"
if grep -rl 'sourceMappingURL' node_modules/planflow/dist; then fail "shipped files point at source maps (listed above)"; fi
ok "installed: planflow $(node -p "require('planflow/package.json').version"), rxjs $(node -p "require('rxjs/package.json').version") (the peer, installed by npm), no better-sqlite3"

cat >tsconfig.json <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2023"],
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "types": ["node"],
    "strict": true,
    "exactOptionalPropertyTypes": true,
    "noUncheckedIndexedAccess": true,
    "verbatimModuleSyntax": true,
    "skipLibCheck": true,
    "rootDir": "src",
    "outDir": "out"
  },
  "include": ["src"]
}
JSON

# The README example, verbatim.
awk '/^```ts/ { inside = 1; next } inside && /^```/ { exit } inside' "$repo/README.md" >src/readme.ts
[ -s src/readme.ts ] || fail "README.md has no \`\`\`ts block"

# A CommonJS consumer with types: `import x = require()` compiles to a require() call.
cat >src/require.cts <<'TS'
import planflow = require('planflow');
import postgres = require('planflow/postgres');
import sqlite = require('planflow/sqlite');
import testing = require('planflow/testing');

const clock = new testing.TestClock(0);
const scheduler = planflow.createScheduler({ store: planflow.memoryStore({ clock }), clock });
console.log('cjs:', typeof sqlite.sqliteStore, typeof postgres.postgresStore, scheduler.status);
TS

# planflow/postgres without its driver (pg, an optional peer): importing works, opening a
# store rejects with a DependencyError before any connection is tried.
cat >src/postgres.ts <<'TS'
import { isPlanflowError } from 'planflow';
import { postgresStore } from 'planflow/postgres';

try {
  await postgresStore({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
  throw new Error('postgresStore opened a log without pg');
} catch (error) {
  if (!isPlanflowError(error, 'planflow:missing-dependency')) throw error;
  console.log(`${error.name} (${error.code}): ${error.message}`);
}
TS

# planflow/sqlite without its driver: importing works, opening a store rejects with a DependencyError.
cat >src/sqlite.ts <<'TS'
import { existsSync } from 'node:fs';
import { isPlanflowError } from 'planflow';
import { sqliteStore } from 'planflow/sqlite';

try {
  await sqliteStore({ path: 'never-created.db' });
  throw new Error('sqliteStore opened a log without better-sqlite3');
} catch (error) {
  if (!isPlanflowError(error, 'planflow:missing-dependency')) throw error;
  console.log(`${error.name} (${error.code}): ${error.message}`);
}
if (existsSync('never-created.db')) throw new Error('a log file was created');
TS

# The event stream through the app's own rxjs operators.
cat >src/interop.ts <<'TS'
import { createScheduler, memoryStore } from 'planflow';
import { filter, firstValueFrom, map } from 'rxjs';

const scheduler = createScheduler({ store: memoryStore(), handlers: { noop: () => undefined } });
const triggered = firstValueFrom(
  scheduler.events.pipe(
    filter((event) => event.type === 'occurrence.triggered'),
    map((event) => event.stream),
  ),
);
await scheduler.defineTask({ id: 'ping', title: 'Ping', handler: 'noop' });
await scheduler.start();
await scheduler.triggerNow({ taskId: 'ping' });
console.log('interop: first trigger on', await triggered);
await scheduler.stop();
TS

typecheck() {
  rm -rf out
  npx tsc -p . || fail "the consumer program does not type-check (errors above)"
  ok "tsc -p . (readme.ts, require.cts, sqlite.ts, postgres.ts, interop.ts)"
}
# run NAME FILE: runs out/FILE with node, bounded in time; its output goes to NAME.log.
run() {
  local code=0
  timeout 30 node "out/$2" >"$1.log" 2>&1 || code=$?
  sed 's/^/    /' "$1.log"
  [ "$code" -eq 0 ] || fail "node out/$2 exited with $code (124: still running after 30 s)"
  ok "node out/$2 exited 0"
}

step "1. the README example: type-check (strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess, NodeNext), then run"
sed 's/^/    /' src/readme.ts
typecheck
run readme readme.js
expect_output readme.log 'time for standup'
expect_output readme.log 'scheduler.stopped'

step "2. require() from CommonJS (require(esm), Node >= 20.19)"
node -e "
  const { createScheduler } = require('planflow');
  const { TestClock } = require('planflow/testing');
  const { sqliteStore } = require('planflow/sqlite');
  const { postgresStore } = require('planflow/postgres');
  for (const f of [createScheduler, TestClock, sqliteStore, postgresStore]) if (typeof f !== 'function') throw new Error('missing export');
" || fail "require('planflow') failed"
ok "node -e: require('planflow'), require('planflow/testing'), require('planflow/sqlite'), require('planflow/postgres')"
run require require.cjs
expect_output require.log 'cjs: function function idle'

step "3. planflow/sqlite and the CLI without better-sqlite3"
run sqlite sqlite.js
expect_output sqlite.log 'DependencyError (planflow:missing-dependency)'
expect_output sqlite.log 'npm install better-sqlite3@12'
code=0
timeout 30 npx planflow init --tz UTC --db cli.db >cli.log 2>&1 || code=$?
sed 's/^/    /' cli.log
[ "$code" -eq 1 ] || fail "planflow init without better-sqlite3 exited with $code, expected 1"
expect_output cli.log 'npm install better-sqlite3@12'
[ ! -e cli.db ] || fail "planflow init created cli.db without a driver"
ok "planflow init exited 1 and created no file"

step "3b. planflow/postgres and the CLI's --db postgres:// without pg"
run postgres postgres.js
expect_output postgres.log 'DependencyError (planflow:missing-dependency)'
expect_output postgres.log 'npm install pg@8'
code=0
timeout 30 npx planflow init --tz UTC --db 'postgres://nobody@127.0.0.1:1/none' >cli-pg.log 2>&1 || code=$?
sed 's/^/    /' cli-pg.log
[ "$code" -eq 1 ] || fail "planflow init --db postgres:// without pg exited with $code, expected 1"
expect_output cli-pg.log 'npm install pg@8'

for rxjs in 7.5 7.8; do
  step "4. scheduler.events.pipe(filter(...)) with the app's own rxjs ~$rxjs"
  npm install --no-audit --no-fund --loglevel=error "rxjs@~$rxjs.0"
  installed="$(node -p "require('rxjs/package.json').version")"
  case "$installed" in "$rxjs".*) ;; *) fail "rxjs $installed installed, expected $rxjs.x" ;; esac
  [ ! -e node_modules/planflow/node_modules/rxjs ] || fail "planflow brought its own copy of rxjs"
  ok "rxjs $installed, one copy"
  typecheck
  run "interop-$rxjs" interop.js
  expect_output "interop-$rxjs.log" 'interop: first trigger on occurrence:'
done

step "done in $((SECONDS - started)) s"
printf 'packed-install: %d passed, 0 failed\n' "$passed"
