import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Inside the repository, so the bundle resolves `pg` and the rest from its node_modules. */
const CACHE = join(ROOT, 'bench', 'results', 'cache');

/**
 * bench/fleetInstance.ts bundled into one JavaScript file (packages left as imports), and its
 * path: a fleet instance starts as an application does, from built JavaScript, in about half
 * a second, where the tsx loader would transform every source again at each start (the
 * Failover scenario starts a replacement after every kill). Bundled per call, in ~0.2 s,
 * outside any timing.
 */
export function bundledFleetInstance(): string {
  mkdirSync(CACHE, { recursive: true });
  const outfile = join(CACHE, `fleet-instance-${process.pid}.mjs`);
  buildSync({
    entryPoints: [join(ROOT, 'bench', 'fleetInstance.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  return outfile;
}
