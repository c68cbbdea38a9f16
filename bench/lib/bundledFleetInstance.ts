import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleScript } from './bundleScript.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Inside the repository, so the bundle resolves `pg` and the rest from its node_modules. */
const CACHE = join(ROOT, 'bench', 'results', 'cache');

/** bench/fleetInstance.ts bundled ({@link bundleScript}), and its path. */
export function bundledFleetInstance(): string {
  return bundleScript(join(ROOT, 'bench', 'fleetInstance.ts'), CACHE);
}
