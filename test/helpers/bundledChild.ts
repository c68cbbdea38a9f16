import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleScript } from '../../bench/lib/bundleScript.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Inside the repository, so the bundle resolves its packages from its node_modules. */
const OUT = join(ROOT, 'node_modules', '.cache', 'planflow-test');

/**
 * A TypeScript fixture bundled into one JavaScript file ({@link bundleScript}), for tests that
 * start many child processes (the fleet test restarts instances by the dozen); its path.
 */
export function bundledChild(fixture: string): string {
  return bundleScript(fixture, OUT);
}
