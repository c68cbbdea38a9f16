import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { segmentFilePrefix } from './segmentFormat.js';

/**
 * Removes what a crashed archive run of the log called `logName` may have left in `dir`:
 * hidden temporary files, and a segment starting at `firstSeq` — where the live log starts —
 * sealed but never recorded, so its entries are all still live. Recorded segments all end
 * before that, so they are never touched. A missing directory holds nothing to remove.
 */
export function removeSegmentLeftovers(dir: string, logName: string, firstSeq: number): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const unrecorded = segmentFilePrefix(logName, firstSeq);
  for (const name of names) {
    const temporary = name.startsWith(`.${logName}.`) && name.endsWith('.tmp');
    const orphan = name.startsWith(unrecorded) && name.endsWith('.jsonl.gz');
    if (temporary || orphan) rmSync(join(dir, name), { force: true });
  }
}
