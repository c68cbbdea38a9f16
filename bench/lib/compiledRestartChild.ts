import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Inside the repository, so the compiled files resolve the peers from its node_modules. */
const CACHE = join(ROOT, 'bench', 'results', 'cache');
const ENTRY = 'bench/restartChild.ts';
/** What the restarted process imports: PlanFlow's sources and the benchmark's subjects. */
const SOURCES = ['src', 'machines', 'bench/lib', 'bench/subjects', ENTRY];

function sourceFiles(path: string): string[] {
  const full = join(ROOT, path);
  if (path.endsWith('.ts')) return [full];
  return readdirSync(full, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => join(full, f));
}

/** A digest of every source the restarted process is built from: a changed file rebuilds. */
function sourceDigest(): string {
  const hash = createHash('sha256');
  for (const file of SOURCES.flatMap(sourceFiles)) hash.update(file).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

/**
 * The restarted process of the Restart scenario compiled to plain JavaScript (with the
 * project's own TypeScript, under bench/results/cache/), and the path of its entry. An
 * application starts from built JavaScript, and so do the peers, which ship it: run through
 * the tsx loader instead, PlanFlow's start-up would include transforming its sources (about
 * 200–300 ms more on the project machine) and every subject the loader's own start-up.
 * Built once per change of the sources, outside any timing.
 */
export function compiledRestartChild(): string {
  const digest = sourceDigest();
  const dir = join(CACHE, `restart-${digest}`);
  const entry = join(dir, ENTRY.replace(/\.ts$/, '.js'));
  if (existsSync(entry)) return entry;
  mkdirSync(CACHE, { recursive: true });
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const config = join(partial, 'tsconfig.json');
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.json'),
      compilerOptions: {
        outDir: partial,
        rootDir: ROOT,
        noEmit: false,
        declaration: false,
        sourceMap: false,
        incremental: false,
      },
      include: [],
      files: [join(ROOT, ENTRY)],
    }),
  );
  const tsc = createRequire(import.meta.url).resolve('typescript/lib/tsc.js');
  execFileSync(process.execPath, [tsc, '-p', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  rmSync(config);
  // Builds of older sources are of no further use.
  for (const old of readdirSync(CACHE)) {
    if (old.startsWith('restart-') && join(CACHE, old) !== partial)
      rmSync(join(CACHE, old), { recursive: true, force: true });
  }
  renameSync(partial, dir);
  return entry;
}
